// The page's state and the one function that changes it. Pure: the caller
// passes the time and does the fetching (controller.ts); this module only
// decides what the rows say.
import { isTransitional, opDisabled, TRANSITIONAL_OF } from "./phase.js";
import type {
  AppStatus,
  AppsPayload,
  AppView,
  DaemonInfo,
  ManifestError,
  Op,
  OrphanView,
  Phase,
  ReconcilerEvent,
  StopReason,
} from "./types.js";

/** An app as the page holds it: the API's view plus when it arrived (the page's clock, for uptime). */
export interface AppRow extends AppView {
  receivedAt: number;
}

/** An operation whose request is in flight. */
export interface PendingOp {
  op: Op;
  /** What the row showed before: restored if the request fails. */
  previous: { phase: Phase; stopReason: StopReason | null };
  /** `seq` when it began: a daemon event for the app after it outranks the request's answer. */
  seq: number;
}

export interface Announcement {
  id: number;
  text: string;
}

export interface PageState {
  /** `live` once the event stream is open and the full state fetched after it opened. */
  connection: "live" | "reconnecting";
  /** The full state was fetched at least once. */
  synced: boolean;
  /** Why the last fetch of the state failed; null after a success. */
  syncError: string | null;
  apps: AppRow[];
  orphans: OrphanView[];
  manifestErrors: ManifestError[];
  daemon: DaemonInfo | null;
  /** The daemon's clock minus the page's (ms), for countdowns to the daemon's times. */
  offsetMs: number;
  /** Counts every change the page made on its own (events, operations): orders them against fetches. */
  seq: number;
  /** Per app, `seq` of its last change by an event or an operation. */
  touched: Record<string, number>;
  /** Per app, `seq` of its last event from the daemon. */
  eventSeen: Record<string, number>;
  pending: Record<string, PendingOp>;
  /** A request that failed (the daemon refused it or did not answer), per app. */
  opErrors: Record<string, string>;
  /** The last few lines for screen readers (an aria-live region), oldest first. */
  announcements: Announcement[];
  nextAnnouncement: number;
}

export const initialState = (): PageState => ({
  connection: "reconnecting",
  synced: false,
  syncError: null,
  apps: [],
  orphans: [],
  manifestErrors: [],
  daemon: null,
  offsetMs: 0,
  seq: 0,
  touched: {},
  eventSeen: {},
  pending: {},
  opErrors: {},
  announcements: [],
  nextAnnouncement: 1,
});

export type Action =
  /** The event stream dropped. */
  | { type: "down" }
  /**
   * A fetch answered. `daemon` is set for a full re-sync (after the stream
   * opened), which also makes the page live. `startedSeq` is `seq` when the
   * fetch began: a row changed by an event since keeps that change.
   */
  | {
      type: "synced";
      payload: AppsPayload;
      daemon: DaemonInfo | null;
      startedSeq: number;
      receivedAt: number;
      offsetMs?: number;
      /** The stream is still open (a full re-sync then makes the page live). */
      live?: boolean;
    }
  | { type: "sync-failed"; message: string }
  | { type: "event"; event: ReconcilerEvent; receivedAt: number }
  | { type: "op-start"; app: string; op: Op }
  | { type: "op-accepted"; app: string; status: AppStatus; receivedAt: number }
  | { type: "op-failed"; app: string; message: string };

/** At most this many announcements are kept in the live region. */
export const ANNOUNCEMENTS_KEPT = 5;

function announce(state: PageState, text: string): PageState {
  const last = state.announcements[state.announcements.length - 1];
  if (last?.text === text) return state;
  return {
    ...state,
    announcements: [...state.announcements, { id: state.nextAnnouncement, text }].slice(
      -ANNOUNCEMENTS_KEPT,
    ),
    nextAnnouncement: state.nextAnnouncement + 1,
  };
}

const without = <T>(record: Record<string, T>, key: string): Record<string, T> => {
  if (!(key in record)) return record;
  const copy = { ...record };
  delete copy[key];
  return copy;
};

const mapApp = (state: PageState, id: string, f: (a: AppRow) => AppRow): AppRow[] =>
  state.apps.map((a) => (a.id === id ? f(a) : a));

/**
 * Uptime as the row shows it after a phase change learnt from an event: kept
 * while the container may still run (running, an operation under way), gone
 * otherwise. The fetch that follows a final phase brings the exact value.
 */
const uptimeAfter = (row: AppRow, phase: Phase): number | null =>
  phase === "running" || isTransitional(phase) ? row.uptimeSeconds : null;

export function reduce(state: PageState, action: Action): PageState {
  switch (action.type) {
    case "down":
      return state.connection === "reconnecting" ? state : { ...state, connection: "reconnecting" };

    case "sync-failed":
      return { ...state, syncError: action.message };

    case "synced": {
      const old = new Map(state.apps.map((a) => [a.id, a]));
      const apps = action.payload.apps.map((fetched): AppRow => {
        const row: AppRow = { ...fetched, receivedAt: action.receivedAt };
        const local = old.get(fetched.id);
        // Changed by an event or an operation after the fetch began: what the row says
        // of phase, health and intent is newer than the answer (a queued fetch follows).
        if (local && (state.touched[fetched.id] ?? 0) > action.startedSeq)
          return {
            ...row,
            phase: local.phase,
            stopReason: local.stopReason,
            health: local.health,
            desired: local.desired,
            lastError: local.lastError,
            lastErrorCode: local.lastErrorCode,
            since: local.since,
          };
        return row;
      });
      const ids = new Set(apps.map((a) => a.id));
      const keep = <T>(record: Record<string, T>) =>
        Object.fromEntries(Object.entries(record).filter(([id]) => ids.has(id)));
      return {
        ...state,
        apps,
        orphans: action.payload.orphans,
        manifestErrors: action.payload.manifestErrors,
        daemon: action.daemon ?? state.daemon,
        offsetMs: action.offsetMs ?? state.offsetMs,
        connection: action.daemon && action.live !== false ? "live" : state.connection,
        synced: state.synced || action.daemon !== null,
        syncError: null,
        touched: keep(state.touched),
        eventSeen: keep(state.eventSeen),
        pending: keep(state.pending),
        opErrors: keep(state.opErrors),
      };
    }

    case "event":
      return applyEvent(state, action.event);

    case "op-start": {
      const row = state.apps.find((a) => a.id === action.app);
      if (!row) return state;
      const seq = state.seq + 1;
      const phase = TRANSITIONAL_OF[action.op];
      return announce(
        {
          ...state,
          seq,
          touched: { ...state.touched, [row.id]: seq },
          pending: {
            ...state.pending,
            [row.id]: {
              op: action.op,
              previous: { phase: row.phase, stopReason: row.stopReason },
              seq,
            },
          },
          opErrors: without(state.opErrors, row.id),
          apps: mapApp(state, row.id, (a) => ({ ...a, phase })),
        },
        `${row.id}: ${phase}`,
      );
    }

    case "op-accepted": {
      const pending = state.pending[action.app];
      const base = { ...state, pending: without(state.pending, action.app) };
      // A daemon event for the app came first (it may already be the final phase): it wins.
      if (!pending || (state.eventSeen[action.app] ?? 0) > pending.seq) return base;
      const seq = state.seq + 1;
      const s = action.status;
      return {
        ...base,
        seq,
        touched: { ...state.touched, [action.app]: seq },
        apps: mapApp(state, action.app, (a) => ({
          ...a,
          phase: s.phase,
          desired: s.desired,
          health: s.health,
          restarts: s.restarts,
          stopReason: s.stopReason,
          lastError: s.lastError,
          lastErrorCode: s.lastErrorCode,
          since: s.since,
          nextRetryAt: s.nextRetryAt,
        })),
      };
    }

    case "op-failed": {
      const pending = state.pending[action.app];
      const next: PageState = {
        ...state,
        pending: without(state.pending, action.app),
        opErrors: { ...state.opErrors, [action.app]: action.message },
      };
      if (!pending) return next;
      const reverted = (state.eventSeen[action.app] ?? 0) <= pending.seq;
      const phase = reverted ? pending.previous.phase : undefined;
      const withRows = reverted
        ? {
            ...next,
            apps: mapApp(state, action.app, (a) => ({
              ...a,
              phase: pending.previous.phase,
              stopReason: pending.previous.stopReason,
            })),
          }
        : next;
      return announce(
        withRows,
        `${action.app}: ${pending.op} failed${phase ? `, ${phase}` : ""}: ${action.message}`,
      );
    }
  }
}

function applyEvent(state: PageState, event: ReconcilerEvent): PageState {
  // An update found, or an OOM kill, is shown from the apps it makes the page fetch (needsFetch).
  if (event.type === "wake" || event.type === "update" || event.type === "oom") return state;
  if (event.type === "pass") {
    if (!state.daemon) return state;
    return {
      ...state,
      daemon: { ...state.daemon, lastPass: event.report, passes: state.daemon.passes + 1 },
    };
  }
  const seq = state.seq + 1;
  const marked: PageState = {
    ...state,
    seq,
    touched: { ...state.touched, [event.app]: seq },
    eventSeen: { ...state.eventSeen, [event.app]: seq },
  };
  switch (event.type) {
    case "phase": {
      const next: PageState = {
        ...marked,
        apps: mapApp(state, event.app, (a) => ({
          ...a,
          phase: event.phase,
          stopReason: event.stopReason,
          since: event.at,
          uptimeSeconds: uptimeAfter(a, event.phase),
          ...(event.error !== undefined
            ? { lastError: event.error, lastErrorCode: event.errorCode ?? null }
            : {}),
          // Running again: a retry time is history (a fetch brings any new one).
          ...(event.phase === "running" ? { nextRetryAt: null } : {}),
        })),
      };
      const failed = event.error !== undefined ? ` (failed: ${event.error})` : "";
      return announce(next, `${event.app}: ${event.phase}${failed}`);
    }
    case "health":
      return { ...marked, apps: mapApp(state, event.app, (a) => ({ ...a, health: event.health })) };
    case "desired":
      return {
        ...marked,
        apps: mapApp(state, event.app, (a) => ({ ...a, desired: event.desired })),
      };
  }
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Whether an event calls for fetching /v1/apps (its fields say less than the
 * row shows): an app the page does not know, a final phase (restarts, uptime,
 * retry time and error change with it), or a pass that saw other orphans,
 * manifest errors or apps than the page shows. Health, intent, wake-ups and
 * an idle pass cost the daemon nothing.
 */
export function needsFetch(state: PageState, event: ReconcilerEvent): boolean {
  const known = new Set(state.apps.map((a) => a.id));
  switch (event.type) {
    case "wake":
      return false;
    case "update":
    case "oom":
      return true; // the row's update field; its restarts and reason after an OOM kill
    case "health":
    case "desired":
      return !known.has(event.app);
    case "phase":
      return !known.has(event.app) || !isTransitional(event.phase);
    case "pass": {
      const r = event.report;
      if (!r.observed) return false;
      const orphans = (list: { name: string; app: string }[]) =>
        list.map((o) => `${o.name}\n${o.app}`).sort();
      if (!sameJson(orphans(r.orphans), orphans(state.orphans))) return true;
      if (!sameJson(r.manifestErrors, state.manifestErrors)) return true;
      const seen = new Set([
        ...r.converged,
        ...r.skipped.map((s) => s.app),
        ...r.failures.map((f) => f.app),
        ...r.actions.filter((a) => a.kind !== "remove-orphan").map((a) => a.app),
      ]);
      for (const id of seen) if (!known.has(id)) return true;
      for (const id of known) if (!seen.has(id)) return true;
      return false;
    }
  }
}

/** Whether the row's operation buttons are disabled: an operation runs or its request is in flight. */
export const busy = (state: PageState, app: AppRow): boolean =>
  opDisabled(app.phase, app.id in state.pending);

/** The tab's title: how many apps run, and whether the page is live (a tab in the background says it). */
export function pageTitle(state: PageState): string {
  const prefix = state.connection === "live" ? "" : "(reconnecting) ";
  if (!state.synced) return `${prefix}archy`;
  const running = state.apps.filter((a) => a.phase === "running").length;
  return `${prefix}archy: ${running}/${state.apps.length} running`;
}
