export { emptyReport, Reconciler } from "./reconciler.js";
export type {
  ActionResult,
  AppStatus,
  LifecycleHandle,
  Logger,
  ReconcileReport,
  ReconcilerEvent,
  ReconcilerOptions,
  SnapshotState,
} from "./reconciler.js";
export { ReconcileLoop } from "./loop.js";
export type { ReconcileLoopOptions } from "./loop.js";
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
export { TRANSITIONAL_PHASES, isTransitional } from "./types.js";
export type {
  ActionKind,
  AppHistory,
  Desired,
  ObservedApp,
  Phase,
  Plan,
  PlannedAction,
  PlanSkip,
  StopReason,
} from "./types.js";
