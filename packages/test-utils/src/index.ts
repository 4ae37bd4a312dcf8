export {
  createPodmanStore,
  isolatedPodmanConfig,
  podmanAvailability,
  TEST_IMAGE,
  TEST_RUN_LABEL,
} from "./podman-store.js";
export type {
  IsolatedPodman,
  PodmanAvailability,
  PodmanResult,
  PodmanStore,
} from "./podman-store.js";
export { freePort, tempDir, waitFor } from "./temp.js";
