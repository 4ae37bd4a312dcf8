// An app's status, the report of a reconcile pass and the events the daemon
// streams: the JSON of GET /v1/apps, /v1/apps/:id, POST /v1/reconcile and
// /v1/events, as the reconciler makes it.
import type { ContainerState, Desired, Health, Phase, StopReason } from "./phase.js";

/** archy's container of an app, as last seen. */
export interface AppContainer {
  id: string;
  name: string;
  state: ContainerState;
  startedAt: string | null;
  exitCode: number | null;
  imageId: string | null;
}

/** One app (`Reconciler.status()`; `{ app }` of GET /v1/apps/:id and of an operation's 202). */
export interface AppStatus {
  id: string;
  name: string;
  version: string;
  image: string;
  dependsOn: string[];
  desired: Desired;
  phase: Phase;
  health: Health;
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
  container: AppContainer | null;
  /** Where updates stand for the app; null (or absent, from an older daemon) when nothing is to say. */
  update?: UpdateView | null;
}

/**
 * An app's updates as the owner sees them: `available` (the daemon's check
 * found a newer image, not a blocked one), `updating` (one goes through the
 * gate), `rolled-back` (the last update or manifest edit failed its gate and
 * the old container runs; until a later one passes).
 */
export interface UpdateView {
  state: "available" | "updating" | "rolled-back";
  /** The digest the reference points to now (available). */
  latest?: string;
  /** Why the gate failed (rolled-back). */
  reason?: string;
  at: string;
}

/** An app as GET /v1/apps and `archy ps --json` show it: its status and its uptime. */
export interface AppView extends AppStatus {
  /** Whole seconds since the container started; null unless it runs. */
  uptimeSeconds: number | null;
}

/** A manifest that cannot be used, with where in its file. */
export interface ManifestError {
  file: string;
  line: number;
  column: number;
  /** Field path such as `app.container.ports[1]`; empty for file-level errors. */
  path: string;
  message: string;
  /** The app id, when the file got far enough to say it. */
  app?: string;
}

/** `file:line:column: path: message`, the way every archy tool prints a manifest error. */
export const formatManifestError = (e: ManifestError): string =>
  `${e.file}:${e.line}:${e.column}: ${e.path ? `${e.path}: ` : ""}${e.message}`;

export type ActionKind = "create" | "start" | "recreate" | "restart" | "stop" | "remove-orphan";

/** One action a pass carried out, and how it went. */
export interface ActionResult {
  app: string;
  kind: ActionKind;
  reason: string;
  container: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

/** What one reconcile pass did (`{ report }` of POST /v1/reconcile?wait=true, the `pass` event). */
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
  /** App containers it found running, with the time of their start: each start should have reached the stream too. */
  starts?: { id: string; name: string; at: string }[];
}

/** An app's phase changed. */
export interface PhaseEvent {
  type: "phase";
  app: string;
  phase: Phase;
  previous: Phase;
  stopReason: StopReason | null;
  /** Set when an operation failed (the phase reverted) or the app failed. */
  error?: string;
  /** The error's `code`, when it has one. */
  errorCode?: string;
  at: string;
}

/** A change of state, as the reconciler publishes it and GET /v1/events sends it (one per `data:`). */
export type ReconcilerEvent =
  | PhaseEvent
  | { type: "health"; app: string; health: Health; previous: Health; at: string }
  | { type: "desired"; app: string; desired: Desired; at: string }
  /** The daemon's update check found a newer image for the app (once per digest). */
  | { type: "update"; app: string; state: "available"; image: string; latest: string; at: string }
  /** The kernel killed the app's container for memory (once per exit; its phase says `oom` when it stays down). */
  | { type: "oom"; app: string; at: string }
  | { type: "wake"; reason: string; at: string }
  | { type: "pass"; report: ReconcileReport; at: string };
