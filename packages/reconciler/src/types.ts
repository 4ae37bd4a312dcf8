import type { ContainerStatus, HealthStatus } from "@archy/runtime-podman";
import type { ManifestError } from "./manifest/index.js";

export type Phase =
  | "running"
  | "starting"
  | "stopping"
  | "restarting"
  | "installing"
  | "removing"
  | "stopped"
  | "exited"
  | "missing"
  | "created"
  | "paused"
  | "unhealthy"
  | "backoff"
  | "failed"
  | "unknown";

export const TRANSITIONAL_PHASES: readonly Phase[] = [
  "starting",
  "stopping",
  "restarting",
  "installing",
  "removing",
];
export const isTransitional = (p: Phase) => TRANSITIONAL_PHASES.includes(p);

/** Why an app that should run does not (SPEC section 4). */
export type StopReason =
  "user" | "crash" | "health" | "dependency" | "hook" | "backoff" | "removed";

export type Desired = "running" | "stopped";

/** What AppStates remembers of an app between passes for back-off (not persisted). */
export interface AppHistory {
  /** Consecutive failed starts, crashes and unhealthy restarts. */
  failures: number;
  /** No start before this time (ms); null when not backing off. */
  nextRetryAt: number | null;
  /** When the app was last seen running and healthy, continuously; null otherwise. */
  healthySince: number | null;
  /** The key (container, start, finish, code) of the last exit counted as a failure, so each exit counts once. */
  countedExit?: string | null;
  /**
   * Since when (ms) the container has been seen `stopping` or `removing`:
   * podman's own mark while it works, left for ever when the podman doing
   * that work is killed. Null or absent when it is in no such state.
   */
  podmanBusy?: {
    container: string;
    state: "stopping" | "removing";
    since: number;
    /** When the planner will call it stuck (since + stop timeout + grace): a pass is due then. */
    stuckAt?: number;
  } | null;
}

export interface ObservedApp {
  /** The `archy-<id>` container, whoever made it; null when there is none. */
  container: ContainerStatus | null;
  /** The hash the container should carry; null when it cannot be known yet (image absent). */
  wantedHash: string | null;
  /** The id of the app's image as observed; null when absent, undefined when not observed. */
  imageId?: string | null;
  /** archy's own health view of the running container; null when no check is declared or none ran yet. */
  health: HealthStatus;
}

export type ActionKind = "create" | "start" | "recreate" | "restart" | "stop" | "remove-orphan";

export interface PlannedAction {
  kind: ActionKind;
  /** The app id (for remove-orphan: the orphan's app label). */
  app: string;
  /** One line a human reads: why this action. */
  reason: string;
  /** The container concerned. */
  container: string;
  /** Counted as a failed start for back-off (the restart of an unhealthy app). */
  countsAsFailure?: boolean;
}

export interface PlanSkip {
  app: string;
  reason: string;
  /** The stop reason the app carries while skipped; null when it runs (converged or not ready). */
  stopReason: StopReason | null;
  /** True when this is an error the owner must fix (a name taken by another container). */
  failure?: boolean;
}

export interface Plan {
  /** In dependency order. */
  actions: PlannedAction[];
  skipped: PlanSkip[];
  /** Apps in their desired state with nothing to do. */
  converged: string[];
  /** Containers labelled for apps that have no manifest. */
  orphans: ContainerStatus[];
  /** All app ids in dependency order. */
  order: string[];
}

/** Where the reconciler writes its log lines (pino-compatible). */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface AppStatus {
  id: string;
  name: string;
  version: string;
  image: string;
  dependsOn: string[];
  desired: Desired;
  phase: Phase;
  health: HealthStatus;
  /** Starts archy made after the app stopped running (crash, unhealthy, owner restart). */
  restarts: number;
  /** Why an app that is not running is not; null when it runs. */
  stopReason: StopReason | null;
  lastError: string | null;
  /**
   * The `code` of the error in lastError when it has one (EPODMANUNAVAILABLE,
   * EPODMANTIMEOUT, ESTARTFAILED, ...): what an operation's caller maps to an exit code.
   */
  lastErrorCode: string | null;
  /** When the phase last changed (ISO). */
  since: string;
  /** The next start attempt under back-off (ISO). */
  nextRetryAt: string | null;
  container: {
    id: string;
    name: string;
    state: ContainerStatus["state"];
    startedAt: string | null;
    exitCode: number | null;
    imageId: string | null;
  } | null;
}

export type ReconcilerEvent =
  | {
      type: "phase";
      app: string;
      phase: Phase;
      previous: Phase;
      stopReason: StopReason | null;
      error?: string;
      /** The error's `code`, when it has one. */
      errorCode?: string;
      at: string;
    }
  | { type: "health"; app: string; health: HealthStatus; previous: HealthStatus; at: string }
  | { type: "desired"; app: string; desired: Desired; at: string }
  | { type: "wake"; reason: string; at: string }
  | { type: "pass"; report: ReconcileReport; at: string };

export interface ActionResult {
  app: string;
  kind: PlannedAction["kind"];
  reason: string;
  container: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

export interface ReconcileReport {
  startedAt: string;
  durationMs: number;
  /** False when podman could not be observed: nothing was changed. */
  observed: boolean;
  error?: string;
  /** The `code` of the error that stopped the pass (for example EPODMANUNAVAILABLE), when it has one. */
  errorCode?: string;
  actions: ActionResult[];
  failures: { app: string; error: string }[];
  skipped: { app: string; reason: string; stopReason: StopReason | null }[];
  converged: string[];
  orphans: { name: string; app: string }[];
  manifestErrors: ManifestError[];
  /**
   * App containers the pass's observation found exited, with the time of
   * their exit: the loop checks that its event stream reported each death.
   */
  exits?: { id: string; name: string; at: string }[];
}

/** A report with nothing in it yet (not observed). */
export function emptyReport(startedAt: string): ReconcileReport {
  return {
    startedAt,
    durationMs: 0,
    observed: false,
    actions: [],
    failures: [],
    skipped: [],
    converged: [],
    orphans: [],
    manifestErrors: [],
  };
}

export interface LifecycleHandle {
  /** The app with its transitional phase, as published. */
  status: AppStatus;
  /** Resolves with the final status when the operation ends (failed operations resolve too, with lastError). */
  done: Promise<AppStatus>;
}
