import { describe, expect, it } from "vitest";
import {
  busy,
  initialState,
  needsFetch,
  pageTitle,
  reduce,
  type Action,
  type PageState,
} from "./state.js";
import { appView, AT, daemonInfo, passReport, payload, phaseEvent } from "./test-fixtures.js";
import type { ReconcilerEvent } from "./types.js";

const run = (state: PageState, ...actions: Action[]) => actions.reduce(reduce, state);
const event = (e: ReconcilerEvent): Action => ({ type: "event", event: e, receivedAt: 0 });
const row = (s: PageState, id: string) => s.apps.find((a) => a.id === id)!;
const said = (s: PageState) => s.announcements.map((a) => a.text);

/** A page live with web (running) and db (stopped by the owner). */
function live(): PageState {
  return reduce(initialState(), {
    type: "synced",
    payload: payload([
      appView("web", { dependsOn: ["db"] }),
      appView("db", {
        phase: "stopped",
        desired: "stopped",
        stopReason: "user",
        uptimeSeconds: null,
      }),
    ]),
    daemon: daemonInfo(),
    startedSeq: 0,
    receivedAt: 1000,
    live: true,
  });
}

describe("re-sync", () => {
  it("starts reconnecting and goes live with a full state", () => {
    expect(initialState().connection).toBe("reconnecting");
    const s = live();
    expect(s.connection).toBe("live");
    expect(s.synced).toBe(true);
    expect(s.apps.map((a) => a.id)).toEqual(["web", "db"]);
    expect(row(s, "web").receivedAt).toBe(1000);
    expect(s.daemon?.pid).toBe(4242);
  });

  it("says reconnecting when the stream drops, and keeps the last rows to show", () => {
    const s = reduce(live(), { type: "down" });
    expect(s.connection).toBe("reconnecting");
    expect(s.apps).toHaveLength(2);
  });

  it("does not go live when the stream dropped again while the re-sync was in flight", () => {
    const s = reduce(reduce(live(), { type: "down" }), {
      type: "synced",
      payload: payload([]),
      daemon: daemonInfo(),
      startedSeq: 0,
      receivedAt: 0,
      live: false,
    });
    expect(s.connection).toBe("reconnecting");
  });

  it("replaces the whole state: no stale rows after a daemon restart", () => {
    let s = run(live(), { type: "down" }, { type: "op-start", app: "db", op: "start" });
    s = reduce(s, { type: "op-failed", app: "db", message: "the daemon did not answer" });
    s = reduce(s, {
      type: "synced",
      payload: payload([appView("web", { restarts: 3 })], {
        orphans: [{ name: "archy-old", app: "old", state: "exited" }],
      }),
      daemon: daemonInfo({ pid: 5151 }),
      startedSeq: s.seq,
      receivedAt: 2000,
      live: true,
    });
    expect(s.apps.map((a) => a.id)).toEqual(["web"]);
    expect(row(s, "web").restarts).toBe(3);
    expect(s.orphans).toEqual([{ name: "archy-old", app: "old", state: "exited" }]);
    expect(s.daemon?.pid).toBe(5151);
    expect(s.opErrors).toEqual({}); // db is gone, and its error with it
    expect(s.connection).toBe("live");
  });

  it("keeps a row's phase changed by an event after the fetch began (the answer is older)", () => {
    let s = live();
    const startedSeq = s.seq;
    s = reduce(s, event(phaseEvent("web", "stopping")));
    s = reduce(s, {
      type: "synced",
      payload: payload([appView("web", { restarts: 1 }), appView("db", { phase: "stopped" })]),
      daemon: null,
      startedSeq,
      receivedAt: 3000,
    });
    expect(row(s, "web").phase).toBe("stopping"); // not the fetched "running"
    expect(row(s, "web").restarts).toBe(1); // the rest is the answer's
    // A fetch begun after the event takes everything from the answer.
    s = reduce(s, {
      type: "synced",
      payload: payload([appView("web", { phase: "stopped" }), appView("db")]),
      daemon: null,
      startedSeq: s.seq,
      receivedAt: 4000,
    });
    expect(row(s, "web").phase).toBe("stopped");
  });

  it("records a failed fetch and clears it on the next success", () => {
    let s = reduce(live(), { type: "sync-failed", message: "HTTP 500" });
    expect(s.syncError).toBe("HTTP 500");
    s = reduce(s, {
      type: "synced",
      payload: payload([]),
      daemon: null,
      startedSeq: s.seq,
      receivedAt: 0,
    });
    expect(s.syncError).toBeNull();
  });
});

describe("events", () => {
  it("applies a phase change and announces it for screen readers", () => {
    const s = reduce(live(), event(phaseEvent("web", "stopping", { at: "2026-12-02T15:01:00Z" })));
    expect(row(s, "web").phase).toBe("stopping");
    expect(row(s, "web").since).toBe("2026-12-02T15:01:00Z");
    expect(said(s)).toEqual(["web: stopping"]);
    expect(busy(s, row(s, "web"))).toBe(true);
  });

  it("shows a failed operation's error and the reverted phase", () => {
    const s = run(
      live(),
      event(phaseEvent("db", "starting", { previous: "stopped" })),
      event(
        phaseEvent("db", "stopped", {
          previous: "starting",
          stopReason: "hook",
          error: "pre_start hook exited 1: GREETING=***",
        }),
      ),
    );
    expect(row(s, "db").phase).toBe("stopped");
    expect(row(s, "db").stopReason).toBe("hook");
    expect(row(s, "db").lastError).toBe("pre_start hook exited 1: GREETING=***");
    expect(busy(s, row(s, "db"))).toBe(false);
    expect(said(s)).toEqual([
      "db: starting",
      "db: stopped (failed: pre_start hook exited 1: GREETING=***)",
    ]);
  });

  it("keeps a failed operation's error code with its error, and drops a stale one with the next error", () => {
    const s = run(
      live(),
      event(phaseEvent("web", "stopping")),
      event(
        phaseEvent("web", "running", {
          previous: "stopping",
          error: "podman is unavailable",
          errorCode: "EPODMANUNAVAILABLE",
        }),
      ),
    );
    expect(row(s, "web")).toMatchObject({
      phase: "running",
      lastError: "podman is unavailable",
      lastErrorCode: "EPODMANUNAVAILABLE",
    });
    const later = run(
      s,
      event(phaseEvent("web", "exited", { stopReason: "crash", error: "web exited with code 1" })),
    );
    expect(row(later, "web")).toMatchObject({
      lastError: "web exited with code 1",
      lastErrorCode: null,
    });
  });

  it("drops the uptime when the app stops, keeps it while an operation runs", () => {
    let s = reduce(live(), event(phaseEvent("web", "stopping")));
    expect(row(s, "web").uptimeSeconds).toBe(60);
    s = reduce(s, event(phaseEvent("web", "stopped")));
    expect(row(s, "web").uptimeSeconds).toBeNull();
  });

  it("applies health and intent without announcing them", () => {
    const s = run(
      live(),
      event({ type: "health", app: "web", health: "unhealthy", previous: "healthy", at: AT }),
      event({ type: "desired", app: "web", desired: "stopped", at: AT }),
    );
    expect(row(s, "web").health).toBe("unhealthy");
    expect(row(s, "web").desired).toBe("stopped");
    expect(said(s)).toEqual([]);
  });

  it("counts passes and keeps the last report for the daemon section", () => {
    const report = passReport({ observed: false, error: "podman timed out" });
    const s = reduce(live(), event({ type: "pass", report, at: AT }));
    expect(s.daemon?.passes).toBe(2);
    expect(s.daemon?.lastPass).toBe(report);
  });

  it("keeps only the last few announcements, and never the same one twice in a row", () => {
    let s = live();
    for (const p of [
      "stopping",
      "stopping",
      "stopped",
      "starting",
      "running",
      "stopping",
      "stopped",
    ] as const)
      s = reduce(s, event(phaseEvent("web", p)));
    expect(said(s)).toEqual([
      "web: stopped",
      "web: starting",
      "web: running",
      "web: stopping",
      "web: stopped",
    ]);
    expect(new Set(s.announcements.map((a) => a.id)).size).toBe(5);
  });
});

describe("operations from the page", () => {
  it("shows the transitional phase at once and disables the buttons", () => {
    const s = reduce(live(), { type: "op-start", app: "web", op: "stop" });
    expect(row(s, "web").phase).toBe("stopping");
    expect(busy(s, row(s, "web"))).toBe(true);
    expect(said(s)).toEqual(["web: stopping"]);
  });

  it("takes the daemon's 202 answer, then the final phase from the stream", () => {
    let s = run(live(), { type: "op-start", app: "web", op: "restart" });
    s = reduce(s, {
      type: "op-accepted",
      app: "web",
      status: { ...appView("web"), phase: "restarting", since: "2026-12-02T15:02:00Z" },
      receivedAt: 0,
    });
    expect(row(s, "web").phase).toBe("restarting");
    expect(row(s, "web").since).toBe("2026-12-02T15:02:00Z");
    expect(busy(s, row(s, "web"))).toBe(true); // the phase is still transitional
    s = reduce(s, event(phaseEvent("web", "running", { previous: "restarting" })));
    expect(row(s, "web").phase).toBe("running");
    expect(busy(s, row(s, "web"))).toBe(false);
  });

  it("lets the stream's final phase win over a 202 answer that arrives after it", () => {
    const s = run(
      live(),
      { type: "op-start", app: "db", op: "start" },
      event(phaseEvent("db", "starting", { previous: "stopped" })),
      event(phaseEvent("db", "running", { previous: "starting" })),
      {
        type: "op-accepted",
        app: "db",
        status: { ...appView("db"), phase: "starting" },
        receivedAt: 0,
      },
    );
    expect(row(s, "db").phase).toBe("running");
    expect(busy(s, row(s, "db"))).toBe(false);
  });

  it("reverts the phase and shows the error when the daemon refuses the request", () => {
    const s = run(
      live(),
      { type: "op-start", app: "db", op: "start" },
      { type: "op-failed", app: "db", message: "unknown app: db" },
    );
    expect(row(s, "db").phase).toBe("stopped");
    expect(row(s, "db").stopReason).toBe("user");
    expect(s.opErrors.db).toBe("unknown app: db");
    expect(busy(s, row(s, "db"))).toBe(false);
    expect(said(s)).toEqual(["db: starting", "db: start failed, stopped: unknown app: db"]);
    // The next operation clears the error.
    expect(reduce(s, { type: "op-start", app: "db", op: "start" }).opErrors).toEqual({});
  });

  it("does not revert over a phase the stream brought meanwhile", () => {
    const s = run(
      live(),
      { type: "op-start", app: "web", op: "stop" },
      event(phaseEvent("web", "stopping")),
      { type: "op-failed", app: "web", message: "the daemon did not answer" },
    );
    expect(row(s, "web").phase).toBe("stopping");
  });

  it("ignores an operation on an app it does not show", () => {
    const s = live();
    expect(reduce(s, { type: "op-start", app: "nope", op: "start" })).toBe(s);
  });
});

describe("what an event leaves to a fetch", () => {
  const s = live();
  const known = passReport({ converged: ["web", "db"] });

  it("fetches for a final phase or an app it does not know, not for a transitional one", () => {
    expect(needsFetch(s, phaseEvent("web", "stopping"))).toBe(false);
    expect(needsFetch(s, phaseEvent("web", "stopped"))).toBe(true);
    expect(needsFetch(s, phaseEvent("new", "installing"))).toBe(true);
  });

  it("fetches after an OOM kill (the row's restarts and reason), and leaves the state to that fetch", () => {
    const oom = { type: "oom", app: "web", at: AT } as const;
    expect(needsFetch(s, oom)).toBe(true);
    expect(reduce(s, event(oom))).toBe(s);
  });

  it("costs nothing for health, intent, wake-ups and an idle pass", () => {
    expect(
      needsFetch(s, { type: "health", app: "web", health: "healthy", previous: null, at: AT }),
    ).toBe(false);
    expect(needsFetch(s, { type: "desired", app: "db", desired: "running", at: AT })).toBe(false);
    expect(needsFetch(s, { type: "wake", reason: "timer", at: AT })).toBe(false);
    expect(needsFetch(s, { type: "pass", report: known, at: AT })).toBe(false);
    expect(needsFetch(s, { type: "pass", report: passReport({ observed: false }), at: AT })).toBe(
      false,
    );
    const skipped = passReport({
      converged: ["db"],
      skipped: [{ app: "web", reason: "not ready yet", stopReason: null }],
    });
    expect(needsFetch(s, { type: "pass", report: skipped, at: AT })).toBe(false);
  });

  it("fetches when a pass saw other orphans, manifest errors or apps", () => {
    const orphan = passReport({ ...known, orphans: [{ name: "archy-old", app: "old" }] });
    expect(needsFetch(s, { type: "pass", report: orphan, at: AT })).toBe(true);
    const bad = passReport({
      ...known,
      manifestErrors: [{ file: "x.yaml", line: 1, column: 1, path: "app.id", message: "required" }],
    });
    expect(needsFetch(s, { type: "pass", report: bad, at: AT })).toBe(true);
    const added = passReport({ converged: ["web", "db", "cache"] });
    expect(needsFetch(s, { type: "pass", report: added, at: AT })).toBe(true);
    const removed = passReport({ converged: ["web"] });
    expect(needsFetch(s, { type: "pass", report: removed, at: AT })).toBe(true);
  });
});

describe("the tab's title", () => {
  it("counts the running apps and says when the page is not live", () => {
    expect(pageTitle(initialState())).toBe("(reconnecting) archy");
    expect(pageTitle(live())).toBe("archy: 1/2 running");
    expect(pageTitle(reduce(live(), { type: "down" }))).toBe("(reconnecting) archy: 1/2 running");
  });
});
