// `@archy/reconciler/api`: the JSON contract between archy's daemon, its CLI
// and its status page. Types and a few tiny helpers, no runtime dependency:
// a client (`archy ps`, the page) imports it without loading the reconciler.
export { isTransitional, PHASES, TRANSITIONAL_PHASES } from "./phase.js";
export type { AppOperation, ContainerState, Desired, Health, Phase, StopReason } from "./phase.js";
export { formatManifestError } from "./status.js";
export type {
  ActionKind,
  ActionResult,
  AppContainer,
  AppStatus,
  UpdateView,
  AppView,
  ManifestError,
  PhaseEvent,
  ReconcileReport,
  ReconcilerEvent,
} from "./status.js";
export type {
  ApiErrorBody,
  ApiExitCode,
  AppAnswer,
  AppsPayload,
  DaemonInfo,
  InstallRequest,
  LogEndData,
  LogLineData,
  OrphanView,
  ReconcileAnswer,
  RecoveryInfo,
  UpdateRequest,
} from "./http.js";
