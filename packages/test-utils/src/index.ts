export {
  createPodmanStore,
  podmanAvailability,
  TEST_IMAGE,
  TEST_RUN_LABEL,
} from "./podman-store.js";
export type { PodmanAvailability, PodmanResult, PodmanStore } from "./podman-store.js";
export { freePort, tempDir, waitFor } from "./temp.js";
