import type { ContainerStatus, HealthStatus } from "@archy/runtime-podman";
import type { ActionKind, AppStatus, ReconcileReport, StopReason } from "./api/index.js";

// The API's types (what the daemon, the CLI and the status page exchange) live in
// ./api, `@archy/reconciler/api`; they are re-exported here for the reconciler's own modules.
export { isTransitional, TRANSITIONAL_PHASES } from "./api/index.js";
export type {
  ActionKind,
  ActionResult,
  AppStatus,
  Desired,
  Phase,
  ReconcileReport,
  ReconcilerEvent,
  StopReason,
} from "./api/index.js";

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
  /** A config file exists but cannot be read: the app fails with this, and nothing is recreated. */
  configError?: string;
  /** The manifest edit whose container failed its gate (state/updates.ts): not tried again while wanted. */
  rejectedEdit?: { hash: string; reason: string } | null;
}

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
  /** A running container replaced for a manifest edit: through the gate (update/edit.ts). */
  gated?: boolean;
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
