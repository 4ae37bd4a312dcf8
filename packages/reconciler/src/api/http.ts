// The requests and answers of the daemon's HTTP/JSON API (on its unix socket,
// and on `--http` behind the token), route by route. The CLI's README lists
// the routes; SPEC section 5 says what they do.
import type { AppStatus, AppView, ManifestError, ReconcileReport } from "./status.js";

/** The exit codes of SPEC section 6, as an error body carries them. */
export type ApiExitCode = 0 | 1 | 2 | 3 | 4 | 130;

/**
 * Every answer of 400 and above: what went wrong, in words, and the exit code
 * the CLI exits with when it made the request.
 */
export interface ApiErrorBody {
  error: { message: string; exitCode: ApiExitCode };
}

/** A container labelled for an app that has no manifest. */
export interface OrphanView {
  name: string;
  /** Its `io.archy.app` label. */
  app: string;
  state: string;
}

/** GET /v1/apps (and `archy ps --json`). */
export interface AppsPayload {
  apps: AppView[];
  orphans: OrphanView[];
  manifestErrors: ManifestError[];
}

/**
 * GET /v1/apps/:id, and the 202 of POST /v1/apps/:id/{start,stop,restart},
 * POST /v1/apps and DELETE /v1/apps/:id: the app (in its transitional phase
 * for an operation, whose work goes on in the background).
 */
export interface AppAnswer {
  app: AppStatus;
}

/** POST /v1/apps: install a manifest. */
export interface InstallRequest {
  /** The manifest's YAML text. */
  manifest: string;
  /** The file it came from, for error positions and the name it is kept under. */
  file?: string;
}

/** POST /v1/apps/:id/update: the body is optional; `to` is `archy update --to REF`. */
export interface UpdateRequest {
  /** An image reference, a tag of the app's image (`:2.0`) or a digest (`sha256:…`). */
  to?: string;
}

/** POST /v1/reconcile: `{ report }` with `?wait=true` (200), else `{ triggered: true }` (202). */
export type ReconcileAnswer = { report: ReconcileReport } | { triggered: true };

/** A crash recovery's outcome, with when it ran and what it followed. */
export interface RecoveryInfo {
  /** Containers started by the recovery. */
  recovered: string[];
  alreadyRunning: string[];
  skipped: { name: string; reason: string }[];
  failed: { name: string; error: string }[];
  /** When the recovery ran (ISO). */
  at: string;
  after: "crash" | "reboot";
}

/** GET /v1/daemon: the daemon's facts. */
export interface DaemonInfo {
  pid: number;
  version: string;
  /** podman's version. */
  podman: string;
  startedAt: string;
  stateDir: string;
  manifestsDir: string;
  /** The run before this one, when it did not end cleanly. */
  previousRun: {
    pid: number | null;
    startedAt: string | null;
    bootId: string | null;
    ended: "crash" | "reboot";
    cleanExit: boolean;
  } | null;
  recovery: RecoveryInfo | null;
  lastPass: ReconcileReport | null;
  passes: number;
  /** The `--http` listener; null without one. */
  http: { url: string; address: string; loopback: boolean } | null;
  /** Set when systemd runs the daemon (`INVOCATION_ID`). */
  systemd: {
    invocationId: string;
    unit: string | null;
    manager: "system" | "user" | null;
    notify: boolean;
  } | null;
  /** Problems with archy's own state (a corrupt desired.json kept aside). */
  notices: string[];
}

/** `data` of an `event: line` of GET /v1/apps/:id/logs. */
export interface LogLineData {
  line: string;
  stream: "stdout" | "stderr";
}

/** `data` of the `event: end` of GET /v1/apps/:id/logs: empty, or why the log failed. */
export type LogEndData = Record<string, never> | ApiErrorBody;
