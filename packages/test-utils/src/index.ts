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
export { createFaultyPodman, DEFAULT_FAULTS } from "./faulty-podman.js";
export type {
  CallFault,
  EventsFault,
  FaultConfig,
  FaultRecord,
  FaultyPodman,
} from "./faulty-podman.js";
export { runFaultsScenario } from "./faults-scenario.js";
export { descendants } from "./faults-scenario-helpers.js";
export type { FaultsScenarioOptions, FaultsScenarioResult } from "./faults-scenario.js";
export { copyExamples, EXAMPLES_DIR } from "./examples.js";
export type { ExampleApp } from "./examples.js";
export { copyExamplesInto, createBox, packTarballs, shellQuote } from "./box.js";
export type { Box, BoxResult } from "./box.js";
export { buildRelease, RELEASES_DIR } from "./release.js";
export type { Release } from "./release.js";
export { pushTestImage, startRegistry, REGISTRY_BIN } from "./registry.js";
export type { TestRegistry } from "./registry.js";
