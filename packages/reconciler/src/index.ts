export { Reconciler } from "./reconciler.js";
export type { ReconcilerOptions } from "./reconciler.js";
export type { ResurrectReport } from "./operations/resurrect.js";
export {
  SNAPSHOT_MIGRATIONS,
  SNAPSHOT_VERSION,
  snapshotStateStore,
  validateSnapshot,
} from "./state/snapshot-state.js";
export type { SnapshotState } from "./state/snapshot-state.js";
export { ReconcileLoop } from "./pass/loop.js";
export type { LoopTarget, ReconcileLoopOptions } from "./pass/loop.js";
export { recoverAfterCrash } from "./operations/recovery.js";
export type { RecoverOptions, RecoveryReport } from "./operations/recovery.js";
export { plan, dependencyOrder } from "./pass/planner.js";
export type { PlanInput } from "./pass/planner.js";
export {
  APP_ID,
  checkAcrossFiles,
  didYouMean,
  formatManifestError,
  loadManifests,
  readManifestText,
  MAX_MANIFEST_BYTES,
  parseManifest,
} from "./manifest/index.js";
export type {
  AppManifest,
  HealthCheck,
  LoadResult,
  ManifestCache,
  ManifestError,
  ParseResult,
} from "./manifest/index.js";
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
} from "./manifest/spec.js";
export { backoffDelay } from "./state/backoff.js";
export { formatDuration, parseDuration } from "./manifest/duration.js";
export { probeHttp, probeTcp } from "./health/health.js";
export { DesiredStateStore } from "./state/desired.js";
export { HookError } from "./pass/hooks.js";
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
export { checkUpdates } from "./update/check.js";
export type { DigestLookup, UpdateCheck, UpdateCheckStatus } from "./update/check.js";
export { updateStrategy } from "./update/replace.js";
export { updateTarget } from "./update/target.js";
export { checkYaml } from "./manifest/yaml-schema.js";
export type { UpdateOptions } from "./update/apply.js";
export type { UpdateStrategy } from "./state/updates.js";
