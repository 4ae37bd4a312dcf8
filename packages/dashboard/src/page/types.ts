// The daemon's API as the page reads it: GET /v1/apps, GET /v1/daemon, an
// operation's 202 and the events of /v1/events, typed by the one contract of
// daemon, CLI and page, `@archy/reconciler/api`. Imported as types only: the
// page's bundle holds no code of archy's packages (tsconfig.json maps the
// import to its source).
import type { AppOperation } from "@archy/reconciler/api";

export type {
  AppStatus,
  AppsPayload,
  AppView,
  DaemonInfo,
  Desired,
  Health,
  ManifestError,
  OrphanView,
  Phase,
  ReconcileReport,
  ReconcilerEvent,
  RecoveryInfo,
  StopReason,
} from "@archy/reconciler/api";

/** The operations the page's buttons ask for. */
/** The operations the page offers buttons for (`archy update` stays on the command line). */
export type Op = Exclude<AppOperation, "update">;
