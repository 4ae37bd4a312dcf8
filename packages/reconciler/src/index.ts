export { Reconciler } from "./reconciler.js";
export type { ReconcilerOptions } from "./reconciler.js";
export type { ResurrectReport } from "./resurrect.js";
export {
  SNAPSHOT_MIGRATIONS,
  SNAPSHOT_VERSION,
  snapshotStateStore,
  validateSnapshot,
} from "./snapshot-state.js";
export type { SnapshotState } from "./snapshot-state.js";
export { ReconcileLoop } from "./loop.js";
export type { LoopTarget, ReconcileLoopOptions } from "./loop.js";
export { recoverAfterCrash } from "./recovery.js";
export type { RecoverOptions, RecoveryReport } from "./recovery.js";
export { plan, dependencyOrder } from "./planner.js";
export type { PlanInput } from "./planner.js";
export {
  APP_ID,
  checkAcrossFiles,
  didYouMean,
  formatManifestError,
  loadManifests,
  readManifestText,
  MAX_MANIFEST_BYTES,
  parseManifest,
} from "./manifest.js";
export type {
  AppManifest,
  HealthCheck,
  LoadResult,
  ManifestCache,
  ManifestError,
  ParseResult,
} from "./manifest.js";
export {
  canonicalJson,
  configHash,
  containerName,
  isSecretKey,
  LABEL_APP,
  LABEL_HASH,
  redactEnv,
  redactText,
  toContainerSpec,
} from "./spec.js";
export { backoffDelay } from "./backoff.js";
export { formatDuration, parseDuration } from "./duration.js";
export { probeHttp, probeTcp } from "./health.js";
export { DesiredStateStore } from "./desired.js";
export { HookError } from "./hooks.js";
export { ManifestInvalidError, ReconcilerError, UnknownAppError } from "./errors.js";
export type { ReconcilerErrorCode } from "./errors.js";
export { emptyReport, TRANSITIONAL_PHASES, isTransitional } from "./types.js";
export type {
  ActionKind,
  ActionResult,
  AppStatus,
  LifecycleHandle,
  Logger,
  ReconcileReport,
  ReconcilerEvent,
  AppHistory,
  Desired,
  ObservedApp,
  Phase,
  Plan,
  PlannedAction,
  PlanSkip,
  StopReason,
} from "./types.js";
