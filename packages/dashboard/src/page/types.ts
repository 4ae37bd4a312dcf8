// The daemon's API as the page reads it: GET /v1/apps (views.ts `appsPayload`
// of @archy/cli), GET /v1/daemon (run.ts `info()`), the events of /v1/events
// (`ReconcilerEvent` of @archy/reconciler). Declared here rather than imported:
// the page depends on no archy package, only on the JSON.

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

export type StopReason =
  "user" | "crash" | "health" | "dependency" | "hook" | "backoff" | "removed";
export type Health = "healthy" | "unhealthy" | "starting" | null;
export type Desired = "running" | "stopped";
export type Op = "start" | "stop" | "restart";

/** One app of GET /v1/apps (`AppView`). */
export interface AppView {
  id: string;
  name: string;
  version: string;
  desired: Desired;
  phase: Phase;
  health: Health;
  restarts: number;
  uptimeSeconds: number | null;
  image: string;
  stopReason: StopReason | null;
  lastError: string | null;
  since: string;
  nextRetryAt: string | null;
  dependsOn: string[];
  container: {
    id: string;
    name: string;
    state: string;
    startedAt: string | null;
    exitCode: number | null;
    imageId: string | null;
  } | null;
}

/** The `app` of a lifecycle operation's 202 answer (`AppStatus`: an AppView without uptimeSeconds). */
export type AppStatus = Omit<AppView, "uptimeSeconds">;

export interface Orphan {
  name: string;
  app: string;
  state: string;
}

export interface ManifestError {
  file: string;
  line: number;
  column: number;
  /** The field path, such as `app.container.ports[1]`; empty for a file-level error. */
  path: string;
  message: string;
  app?: string;
}

export interface AppsPayload {
  apps: AppView[];
  orphans: Orphan[];
  manifestErrors: ManifestError[];
}

export interface PassReport {
  startedAt: string;
  durationMs: number;
  observed: boolean;
  error?: string;
  errorCode?: string;
  actions: { app: string; kind: string; reason: string; ok: boolean; error?: string }[];
  failures: { app: string; error: string }[];
  skipped: { app: string; reason: string; stopReason: StopReason | null }[];
  converged: string[];
  orphans: { name: string; app: string }[];
  manifestErrors: ManifestError[];
}

export interface RecoveryReport {
  recovered: string[];
  alreadyRunning: string[];
  skipped: { name: string; reason: string }[];
  failed: { name: string; error: string }[];
  /** When the recovery ran (ISO) and what it followed. */
  at: string;
  after: "crash" | "reboot";
}

/** GET /v1/daemon. */
export interface DaemonInfo {
  pid: number;
  version: string;
  podman: string;
  startedAt: string;
  stateDir?: string;
  manifestsDir?: string;
  previousRun: {
    pid: number | null;
    startedAt: string | null;
    bootId: string | null;
    ended: "crash" | "reboot";
  } | null;
  recovery: RecoveryReport | null;
  lastPass: PassReport | null;
  passes: number;
  notices: string[];
}

/** What /v1/events sends, one per `data:` line (`ReconcilerEvent`). */
export type ReconcilerEvent =
  | {
      type: "phase";
      app: string;
      phase: Phase;
      previous: Phase;
      stopReason: StopReason | null;
      error?: string;
      at: string;
    }
  | { type: "health"; app: string; health: Health; previous: Health; at: string }
  | { type: "desired"; app: string; desired: Desired; at: string }
  | { type: "wake"; reason: string; at: string }
  | { type: "pass"; report: PassReport; at: string };
