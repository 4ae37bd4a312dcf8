import type { ContainerStatus, HealthStatus } from "@archy/runtime-podman";

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

/** What the executor remembers of an app between passes (not persisted). */
export interface AppHistory {
  /** Consecutive failed starts, crashes and unhealthy restarts. */
  failures: number;
  /** No start before this time (ms); null when not backing off. */
  nextRetryAt: number | null;
  /** When the app was last seen running and healthy, continuously; null otherwise. */
  healthySince: number | null;
  /** The finish time of the last exit already counted as a failure, so each exit counts once. */
  countedExit?: string | null;
}

export interface ObservedApp {
  /** The `archy-<id>` container, whoever made it; null when there is none. */
  container: ContainerStatus | null;
  /** The hash the container should carry; null when it cannot be known yet (image absent). */
  wantedHash: string | null;
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
