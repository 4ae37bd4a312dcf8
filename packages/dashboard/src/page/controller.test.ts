import { describe, expect, it } from "vitest";
import { ApiError, type Api, type Fetched } from "./api.js";
import { RESYNC_RETRY_MS, shouldProbe, startController } from "./controller.js";
import { appView, daemonInfo, passReport, payload, phaseEvent, AT } from "./test-fixtures.js";
import { eventSources, FakeClock } from "./test-fakes.js";
import type { AppStatus, AppsPayload, DaemonInfo, Op } from "./types.js";

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A daemon whose answers the test sets; each GET can be held until released. */
function fakeApi() {
  const state = {
    apps: payload([appView("web"), appView("db", { phase: "stopped", stopReason: "user" })]),
    daemon: daemonInfo(),
    hold: false,
    fail: null as ApiError | null,
    operate: null as ((id: string, op: Op) => Promise<AppStatus>) | null,
  };
  const gets: string[] = [];
  const held: (() => void)[] = [];
  const api: Api = {
    async get<T>(path: string): Promise<Fetched<T>> {
      gets.push(path);
      if (state.hold) await new Promise<void>((r) => held.push(r));
      if (state.fail) throw state.fail;
      const body = (path === "/v1/apps" ? state.apps : state.daemon) as AppsPayload | DaemonInfo;
      return { body: structuredClone(body) as T, date: null };
    },
    operate: (id, op) => state.operate!(id, op),
  };
  const release = () => held.splice(0).forEach((r) => r());
  return { api, state, gets, release };
}

function setup() {
  const clock = new FakeClock();
  const sources = eventSources();
  const daemon = fakeApi();
  const c = startController({
    api: daemon.api,
    openEvents: sources.open,
    timers: clock,
    now: () => clock.now,
  });
  return { clock, sources, daemon, c, state: () => c.store.get() };
}

describe("the page's controller", () => {
  it("subscribes first, then fetches the full state when the stream opens, and goes live", async () => {
    const { sources, daemon, state } = setup();
    expect(daemon.gets).toEqual([]);
    expect(state().connection).toBe("reconnecting");
    sources.last.open();
    await flush();
    expect(daemon.gets.sort()).toEqual(["/v1/apps", "/v1/daemon"]);
    expect(state().connection).toBe("live");
    expect(state().apps.map((a) => a.id)).toEqual(["web", "db"]);
  });

  it("costs an idle daemon nothing: health, wake-ups and idle passes fetch nothing", async () => {
    const { sources, daemon, clock } = setup();
    sources.last.open();
    await flush();
    daemon.gets.length = 0;
    for (let i = 0; i < 100; i++) {
      sources.last.send({ type: "pass", report: passReport({ converged: ["web", "db"] }), at: AT });
      sources.last.send({ type: "wake", reason: "interval", at: AT });
      sources.last.send({ type: "health", app: "web", health: "healthy", previous: null, at: AT });
      clock.advance(30_000);
      await flush();
    }
    expect(daemon.gets).toEqual([]);
    expect(clock.pending).toBe(0); // and no timer of its own
  });

  it("coalesces a burst of events into one fetch in flight and one queued", async () => {
    const { sources, daemon, state } = setup();
    sources.last.open();
    await flush();
    daemon.gets.length = 0;
    daemon.state.hold = true;
    for (let i = 0; i < 30; i++) sources.last.send(phaseEvent(i % 2 ? "web" : "db", "running"));
    await flush();
    expect(daemon.gets).toEqual(["/v1/apps"]);
    daemon.state.apps = payload([appView("web", { restarts: 7 }), appView("db")]);
    daemon.release();
    await flush();
    expect(daemon.gets).toEqual(["/v1/apps", "/v1/apps"]);
    daemon.release();
    await flush();
    expect(daemon.gets).toHaveLength(2);
    expect(state().apps[0]!.restarts).toBe(7);
  });

  it("says so when the daemon goes away, reconnects, and ends in its new full state", async () => {
    const { sources, daemon, clock, state } = setup();
    sources.last.open();
    await flush();
    sources.last.fail(); // the daemon was killed
    expect(state().connection).toBe("reconnecting");
    clock.advance(500);
    sources.last.fail(); // connection refused while it restarts
    clock.advance(1000);
    sources.last.fail();
    clock.advance(2000);
    // Back, with other apps and another PID.
    daemon.state.apps = payload([appView("cache")]);
    daemon.state.daemon = daemonInfo({ pid: 999 });
    daemon.gets.length = 0;
    sources.last.open();
    await flush();
    expect(daemon.gets.sort()).toEqual(["/v1/apps", "/v1/daemon"]);
    expect(state().connection).toBe("live");
    expect(state().apps.map((a) => a.id)).toEqual(["cache"]);
    expect(state().daemon?.pid).toBe(999);
    expect(sources.opened).toHaveLength(4);
  });

  it("asks the daemon why when the stream keeps failing, and shows a refusal (a rotated token)", async () => {
    const { sources, daemon, clock, state } = setup();
    sources.last.open();
    await flush();
    daemon.gets.length = 0;
    daemon.state.fail = new ApiError(
      "the token is missing or no longer valid: run archy dashboard",
      401,
    );
    sources.last.fail();
    await flush();
    expect(daemon.gets).toEqual([]); // one drop is just a drop
    clock.advance(500);
    sources.last.fail();
    await flush();
    expect(daemon.gets).toEqual(["/v1/daemon"]);
    expect(state().syncError).toMatch(/no longer valid/);
    expect(state().connection).toBe("reconnecting");
    for (let i = 0; i < 10; i++) {
      clock.advance(3000);
      sources.last.fail();
    }
    await flush();
    expect(daemon.gets).toHaveLength(2); // about every 30 s, not at every reopen
  });

  it("says nothing more when the daemon does not answer at all", async () => {
    const { sources, daemon, clock, state } = setup();
    daemon.state.fail = new ApiError("the daemon did not answer (Failed to fetch)", 0);
    sources.last.fail();
    clock.advance(500);
    sources.last.fail();
    await flush();
    expect(daemon.gets).toEqual(["/v1/daemon"]);
    expect(state().syncError).toBeNull();
  });

  it("probes at the 2nd failure in a row, then every 10th", () => {
    const probed = Array.from({ length: 30 }, (_, i) => i + 1).filter(shouldProbe);
    expect(probed).toEqual([2, 12, 22]);
  });

  it("retries a failed re-sync while the stream stays open", async () => {
    const { sources, daemon, clock, state } = setup();
    daemon.state.fail = new ApiError("HTTP 503", 503);
    sources.last.open();
    await flush();
    expect(state().syncError).toBe("HTTP 503");
    expect(state().connection).toBe("reconnecting");
    daemon.state.fail = null;
    clock.advance(RESYNC_RETRY_MS);
    await flush();
    expect(state().syncError).toBeNull();
    expect(state().connection).toBe("live");
  });

  it("shows an operation's transitional phase before the daemon answers, then its answer", async () => {
    const { sources, daemon, c, state } = setup();
    sources.last.open();
    await flush();
    let answer!: (s: AppStatus) => void;
    daemon.state.operate = () => new Promise((r) => (answer = r));
    const done = c.operate("web", "stop");
    expect(state().apps[0]!.phase).toBe("stopping");
    expect(state().pending.web?.op).toBe("stop");
    answer({ ...appView("web"), phase: "stopping" });
    await done;
    expect(state().pending).toEqual({});
    expect(state().apps[0]!.phase).toBe("stopping");
    sources.last.send(phaseEvent("web", "stopped", { previous: "stopping", stopReason: "user" }));
    expect(state().apps[0]!.phase).toBe("stopped");
  });

  it("reverts the phase and shows the error when the request fails", async () => {
    const { sources, daemon, c, state } = setup();
    sources.last.open();
    await flush();
    daemon.state.operate = () => Promise.reject(new ApiError("no such app: web", 400));
    await c.operate("web", "restart");
    expect(state().apps[0]!.phase).toBe("running");
    expect(state().opErrors.web).toBe("no such app: web");
  });

  it("ignores what is not an event", async () => {
    const { sources, state } = setup();
    sources.last.open();
    await flush();
    const before = state();
    sources.last.send("not json");
    sources.last.send("42");
    sources.last.send("null");
    expect(state()).toBe(before);
  });
});
