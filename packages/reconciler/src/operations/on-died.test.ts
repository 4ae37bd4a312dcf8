import type { ContainerEvent } from "@archy/runtime-podman";
import { describe, expect, it } from "vitest";
import { reconcilerFixture } from "../test-helpers.js";

const t = reconcilerFixture();
const running = (name: string) => () => t.fake.containers.get(name)?.state === "running";

/** Crashes an app's container and returns podman's `died` event for it. */
async function crash(name: string, exitCode = 137): Promise<ContainerEvent> {
  const ac = new AbortController();
  const events = t.fake.events({ signal: ac.signal })[Symbol.asyncIterator]();
  let next = events.next(); // subscribed before the crash
  t.fake.crash(name, exitCode);
  for (; ; next = events.next()) {
    const { value } = await next;
    if ((value as ContainerEvent).status === "died") {
      ac.abort();
      return value as ContainerEvent;
    }
  }
}

// A died event is the observation: the planner decides for that app alone,
// and a start goes out without a `podman ps` first.
describe("Reconciler.onDied", () => {
  it("starts the app at once, with no observation call; a second death inside the back-off waits", async () => {
    const r = t.make([t.app("web", { backoff: "{ initial: 5s, max: 1m, reset: 1h }" })]);
    await t.settle(r.reconcileAll());
    const before = t.fake.calls.length;
    expect(await r.onDied(await crash("archy-web"))).toBe(true);
    await t.clock.until(running("archy-web"));
    expect(t.fake.calls.slice(before).map((c) => c.method)[0]).toBe("startContainer");
    await t.settle(r.idle());
    expect(await r.appStatus("web")).toMatchObject({ phase: "running", restarts: 1 });

    // failure 2: 5 s of back-off, decided from the event alone.
    expect(await r.onDied(await crash("archy-web"))).toBe(true);
    expect(await r.appStatus("web")).toMatchObject({ phase: "backoff", stopReason: "backoff" });
    expect(t.fake.containers.get("archy-web")?.state).toBe("exited");
  });

  it("keeps down what the restart policy keeps down", async () => {
    const r = t.make([t.app("job", { policy: "on-failure" })]);
    await t.settle(r.reconcileAll());
    expect(await r.onDied(await crash("archy-job", 0))).toBe(true);
    await t.settle(r.idle());
    expect(t.fake.containers.get("archy-job")?.state).toBe("exited");
    expect(await r.appStatus("job")).toMatchObject({ phase: "exited", stopReason: "removed" });
  });

  it("leaves to a full pass an app with pre-start hooks, and a container it has not seen", async () => {
    const r = t.make([t.app("web", { hooks: [["true"]] }), t.app("db")]);
    await t.settle(r.reconcileAll());
    expect(await r.onDied(await crash("archy-web"))).toBe(false);
    expect(t.fake.containers.get("archy-web")?.state).toBe("exited");
    const stranger = { ...(await crash("archy-db")), id: "0000000000000000" };
    expect(await r.onDied(stranger)).toBe(false);
  });

  it("a death older than the run it knows of (the owner restarted it since) is left to a pass", async () => {
    const r = t.make([t.app("web")]);
    await t.settle(r.reconcileAll());
    const died = await crash("archy-web");
    await t.clock.advance(100);
    await t.settle((await r.restart("web")).done);
    const before = await r.appStatus("web");
    const starts = t.fake.calls.filter((c) => c.method === "startContainer").length;
    expect(await r.onDied(died)).toBe(false);
    await t.settle(r.idle());
    expect(t.fake.calls.filter((c) => c.method === "startContainer")).toHaveLength(starts);
    expect(await r.appStatus("web")).toMatchObject({
      phase: "running",
      restarts: before.restarts,
      nextRetryAt: null,
    });
  });

  it("a pass that planned the same start before it does not start the app twice", async () => {
    const r = t.make([t.app("web")], { startSettleMs: 1_000 });
    await t.settle(r.reconcileAll());
    const died = await crash("archy-web");
    const pass = r.reconcileAll(); // observes the exit and plans a start
    expect(await r.onDied(died)).toBe(true);
    const report = await t.settle(pass);
    await t.settle(r.idle());
    const starts = t.fake.calls.filter((c) => c.method === "startContainer");
    expect(starts).toHaveLength(1);
    expect(await r.appStatus("web")).toMatchObject({ phase: "running", restarts: 1 });
    expect(report.actions.length + report.skipped.length).toBeGreaterThan(0);
  });
});

describe("a pass that observed before a died event", () => {
  it("neither records, settles nor acts on what it saw: the event's back-off stands", async () => {
    const r = t.make(
      [t.app("db"), t.app("web", { deps: ["db"], backoff: "{ initial: 5s, max: 1m, reset: 1h }" })],
      { startSettleMs: 1_000 },
    );
    await t.settle(r.reconcileAll());
    // failure 1 of web: restarted at once.
    expect(await r.onDied(await crash("archy-web"))).toBe(true);
    await t.settle(r.idle());
    // db is down unnoticed: the pass observes web running, then waits on db's start.
    t.fake.crash("archy-db");
    const pass = r.reconcileAll();
    await t.clock.until(running("archy-db"));
    const phases: string[] = [];
    r.subscribe((e) => {
      if (e.type === "phase" && e.app === "web") phases.push(e.phase);
    });
    // failure 2 of web, while the pass still holds its view of web running.
    expect(await r.onDied(await crash("archy-web"))).toBe(true);
    expect(await r.appStatus("web")).toMatchObject({ phase: "backoff" });
    const report = await t.settle(pass);
    expect(report.skipped).toContainEqual({
      app: "web",
      reason: "an operation or a died event came meanwhile",
      stopReason: null,
    });
    expect(report.converged).not.toContain("web");
    expect(phases).toEqual(["backoff"]);
    expect(await r.appStatus("web")).toMatchObject({ phase: "backoff", stopReason: "backoff" });
    expect(t.fake.containers.get("archy-web")?.state).toBe("exited");
  });
});

describe("a pass that observed while a died event's start was in flight", () => {
  it("does not start the app again once that start is done", async () => {
    const r = t.make([t.app("web")], { startSettleMs: 100 });
    await t.settle(r.reconcileAll());
    const starts = () => t.fake.calls.filter((c) => c.method === "startContainer").length;
    const before = starts();
    t.fake.slowNext("startContainer", 500);
    expect(await r.onDied(await crash("archy-web"))).toBe(true);
    await t.clock.until(() => starts() > before);
    // The start is in podman's hands; the pass sees the container exited still.
    const pass = r.reconcileAll();
    const report = await t.settle(pass);
    await t.settle(r.idle());
    expect(starts()).toBe(before + 1);
    expect(report.actions).toEqual([]);
    expect(report.skipped).toContainEqual({
      app: "web",
      reason: "an operation or a died event came meanwhile",
      stopReason: null,
    });
    expect(await r.appStatus("web")).toMatchObject({ phase: "running", restarts: 1 });
  });
});

describe("the snapshot's running set between passes", () => {
  it("holds an app a back-off's retry started after the last pass saw it exited", async () => {
    const r = t.make([t.app("web", { backoff: "{ initial: 5s, max: 1m, reset: 1h }" })], {
      startSettleMs: 100,
    });
    await t.settle(r.reconcileAll());
    r.startRetries();
    try {
      expect(await r.onDied(await crash("archy-web"))).toBe(true); // failure 1: at once
      await t.settle(r.idle());
      expect(await r.onDied(await crash("archy-web"))).toBe(true); // failure 2: 5 s
      await t.settle(r.reconcileAll()); // sees it exited, in its back-off
      const running = async () => (await r.snapshotState()).containers.map((c) => c.name);
      expect(await running()).toEqual([]);
      await t.clock.until(() => t.fake.containers.get("archy-web")?.state === "running", {
        step: 100,
        limitMs: 6_000,
      });
      await t.settle(r.idle());
      expect(await r.appStatus("web")).toMatchObject({ phase: "running" });
      expect(await running()).toEqual(["archy-web"]);
    } finally {
      r.stopRetries();
    }
  });
});
