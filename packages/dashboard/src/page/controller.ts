// What the page does, apart from drawing: keeps the event stream open,
// re-syncs the whole state on every open, applies events, fetches what an
// event leaves out (coalesced), and runs the owner's operations. Everything
// from outside (API, EventSource, timers, clock) is passed in.
import { ApiError, type Api } from "./api.js";
import { createCoalescer, type Coalescer, type SyncKind } from "./coalesce.js";
import {
  connectLive,
  type EventSourceLike,
  type LiveConnection,
  type Timers,
} from "./connection.js";
import { clockOffset } from "./format.js";
import { initialState, needsFetch, reduce, type Action, type PageState } from "./state.js";
import type { AppsPayload, DaemonInfo, Op, ReconcilerEvent } from "./types.js";

export interface Store {
  get(): PageState;
  dispatch(action: Action): void;
  subscribe(listener: () => void): () => void;
}

export function createStore(state: PageState = initialState()): Store {
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    dispatch(action) {
      const next = reduce(state, action);
      if (next === state) return;
      state = next;
      for (const l of listeners) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export interface ControllerDeps {
  api: Api;
  openEvents(url: string): EventSourceLike;
  timers: Timers;
  now(): number;
  store?: Store;
}

export interface Controller {
  store: Store;
  /** Starts, stops or restarts an app: the transitional phase shows at once. */
  operate(id: string, op: Op): Promise<void>;
  /** The browser came back online: reconnect without waiting. */
  online(): void;
  close(): void;
  readonly fetches: Coalescer;
}

/** A failed full re-sync is tried again after this long while the stream stays open. */
export const RESYNC_RETRY_MS = 3000;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * When a stream that keeps failing is worth one plain request to learn why:
 * an EventSource never tells the status (a rotated token is a 401 for ever,
 * which would read as "reconnecting" for ever). The 2nd failure in a row,
 * then every 10th (about every 30 s at the 3 s cap).
 */
export const shouldProbe = (failures: number): boolean =>
  failures === 2 || (failures > 2 && (failures - 2) % 10 === 0);

export function startController(deps: ControllerDeps): Controller {
  const store = deps.store ?? createStore();
  let open = false;
  let retryTimer: unknown = null;

  const fetches = createCoalescer(async (kind: SyncKind) => {
    const startedSeq = store.get().seq;
    const [apps, daemon] = await Promise.all([
      deps.api.get<AppsPayload>("/v1/apps"),
      kind === "full" ? deps.api.get<DaemonInfo>("/v1/daemon") : null,
    ]);
    const receivedAt = deps.now();
    store.dispatch({
      type: "synced",
      payload: apps.body,
      daemon: daemon ? daemon.body : null,
      startedSeq,
      receivedAt,
      offsetMs: clockOffset(apps.date, receivedAt),
      live: open,
    });
  });

  const resync = () => {
    if (retryTimer !== null) deps.timers.clearTimeout(retryTimer);
    retryTimer = null;
    fetches.request("full").catch((error: unknown) => {
      store.dispatch({ type: "sync-failed", message: message(error) });
      if (open && retryTimer === null)
        retryTimer = deps.timers.setTimeout(() => {
          retryTimer = null;
          if (open) resync();
        }, RESYNC_RETRY_MS);
    });
  };

  /** A refusal (401, 403, 5xx) is shown; no answer at all is what "reconnecting" already says. */
  const probe = () => {
    deps.api.get<DaemonInfo>("/v1/daemon").then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 0) return;
        if (!open) store.dispatch({ type: "sync-failed", message: message(error) });
      },
    );
  };

  const onMessage = (data: string) => {
    let event: ReconcilerEvent;
    try {
      event = JSON.parse(data) as ReconcilerEvent;
    } catch {
      return; // not an event of this API version: nothing to show
    }
    if (typeof event !== "object" || event === null || typeof event.type !== "string") return;
    const before = store.get();
    store.dispatch({ type: "event", event, receivedAt: deps.now() });
    // Before the first full state, the re-sync under way brings everything.
    if (before.synced && needsFetch(before, event))
      fetches.request("apps").catch((error: unknown) => {
        store.dispatch({ type: "sync-failed", message: message(error) });
      });
  };

  const live: LiveConnection = connectLive({
    url: "/v1/events",
    open: deps.openEvents,
    timers: deps.timers,
    onOpen() {
      open = true;
      resync();
    },
    onMessage,
    onDown(failures) {
      open = false;
      store.dispatch({ type: "down" });
      if (shouldProbe(failures)) probe();
    },
  });

  return {
    store,
    fetches,
    async operate(id, op) {
      store.dispatch({ type: "op-start", app: id, op });
      try {
        const status = await deps.api.operate(id, op);
        store.dispatch({ type: "op-accepted", app: id, status, receivedAt: deps.now() });
      } catch (error) {
        store.dispatch({ type: "op-failed", app: id, message: message(error) });
      }
    },
    online: () => live.retryNow(),
    close() {
      live.close();
      if (retryTimer !== null) deps.timers.clearTimeout(retryTimer);
    },
  };
}
