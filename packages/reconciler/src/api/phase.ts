// The words of an app's state as the API, the CLI and the status page read
// them (SPEC section 5, "Lifecycle phases"). Plain types and two constants:
// importing this module loads nothing else.

export type Phase =
  | "running"
  | "starting"
  | "stopping"
  | "restarting"
  | "updating"
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

/** Every phase, in the order of `Phase` (the record makes the compiler check none is missing). */
export const PHASES = Object.keys({
  running: 0,
  starting: 0,
  stopping: 0,
  restarting: 0,
  updating: 0,
  installing: 0,
  removing: 0,
  stopped: 0,
  exited: 0,
  missing: 0,
  created: 0,
  paused: 0,
  unhealthy: 0,
  backoff: 0,
  failed: 0,
  unknown: 0,
} satisfies Record<Phase, 0>) as readonly Phase[];

/** The phases an operation sets the moment it begins, replaced by a final phase when it ends. */
export const TRANSITIONAL_PHASES: readonly Phase[] = [
  "starting",
  "stopping",
  "restarting",
  "updating",
  "installing",
  "removing",
];

/** Whether an operation is under way in `phase`. A phase this code does not know (a newer daemon's) is not. */
export const isTransitional = (phase: Phase | (string & {})): boolean =>
  (TRANSITIONAL_PHASES as readonly string[]).includes(phase);

/** Why an app that should run does not (SPEC section 4); `oom`: the kernel killed it for memory. */
export type StopReason =
  "user" | "crash" | "oom" | "health" | "dependency" | "hook" | "backoff" | "removed";

/** The owner's intent for an app. */
export type Desired = "running" | "stopped";

/**
 * archy's view of an app's health: null when no check is declared or none ran
 * yet (@archy/runtime-podman's `HealthStatus`; the reconciler does not compile
 * if the two part).
 */
export type Health = "healthy" | "unhealthy" | "starting" | null;

/** The container states archy distinguishes (@archy/runtime-podman's `ContainerState`). */
export type ContainerState =
  "running" | "exited" | "created" | "paused" | "stopping" | "removing" | "unknown";

/** The lifecycle operations of `POST /v1/apps/:id/<op>`. */
export type AppOperation = "start" | "stop" | "restart" | "update";
