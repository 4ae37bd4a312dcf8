import { describe, expect, it } from "vitest";
import type { ReconcilerEvent } from "../types.js";
import { reconcilerFixture } from "../test-helpers.js";

const t = reconcilerFixture();
const running = (name: string) => () => t.fake.containers.get(name)?.state === "running";
const phasesOf = (events: ReconcilerEvent[], app: string) =>
  events.flatMap((e) => (e.type === "phase" && e.app === app ? [e.phase] : []));

// A pass and an owner's operation on the same app: the operation's work waits
// in the app's queue, and the pass never answers for it.
describe("passes and operations on the same app", () => {
  it("stop during a start's settle window: the pass never publishes running over stopping", async () => {
    const r = t.make([t.app("web")], { startSettleMs: 1_000 });
    const pass = r.reconcileAll();
    await t.clock.until(running("archy-web"));
    const events: ReconcilerEvent[] = [];
    r.subscribe((e) => events.push(e));
    const stop = await r.stop("web");
    expect(stop.status.phase).toBe("stopping");
    await t.settle(pass);
    expect(await t.settle(stop.done)).toMatchObject({ phase: "stopped", desired: "stopped" });
    expect(phasesOf(events, "web")).toEqual(["stopping", "stopped"]);
    expect(t.fake.containers.get("archy-web")?.state).toBe("exited");
  });

  it("an operation that ran while the app waited for its dependency makes the pass's plan for it stale", async () => {
    const r = t.make([t.app("db"), t.app("web", { deps: ["db"] })], { startSettleMs: 1_000 });
    const pass = r.reconcileAll();
    await t.clock.until(running("archy-db")); // db settles; web's create waits for it
    const stop = await t.settle((await r.stop("web")).done);
    expect(stop).toMatchObject({ phase: "stopped", desired: "stopped" });
    const report = await t.settle(pass);
    expect(report.skipped).toContainEqual({
      app: "web",
      reason: "an operation or a died event came meanwhile",
      stopReason: null,
    });
    expect(t.fake.containers.has("archy-web")).toBe(false);
    expect((await r.appStatus("web")).phase).toBe("stopped");
  });

  it("a failed operation reverts to the last settled phase, never to a pass's transitional one", async () => {
    const r = t.make([t.app("web")], { startSettleMs: 1_000 });
    const pass = r.reconcileAll();
    await t.clock.until(running("archy-web")); // the pass shows starting
    expect((await r.appStatus("web")).phase).toBe("starting");
    t.fake.failNext("stopContainer");
    const restart = await r.restart("web");
    await t.settle(pass);
    const failed = await t.settle(restart.done);
    expect(failed.phase).not.toBe("starting");
    expect(failed.lastError).toMatch(/scripted failure of stopContainer/);
    // The next pass sees it as it is.
    await t.settle(r.reconcileAll());
    expect((await r.appStatus("web")).phase).toBe("running");
  });
});

describe("the owner's start of a running app", () => {
  it("leaves an unhealthy running app as it is: no restart, no failure counted", async () => {
    t.fake.setBehaviour("archy-web", { health: ["healthy", "unhealthy"] });
    const r = t.make([t.app("web", { health: '{ cmd: ["check"], interval: 10ms, retries: 1 }' })]);
    await t.settle(r.reconcileAll());
    await t.fake.runHealthcheck("archy-web");
    const starts = t.fake.calls.filter((c) => c.method === "startContainer").length;
    const final = await t.settle((await r.start("web")).done);
    expect(final).toMatchObject({ phase: "running", restarts: 0, nextRetryAt: null });
    expect(t.fake.calls.filter((c) => c.method === "startContainer").length).toBe(starts);
  });
});
