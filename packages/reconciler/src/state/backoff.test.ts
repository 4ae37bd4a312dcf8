import { VirtualClock } from "@archy/runtime-podman/testing";
import { describe, expect, it } from "vitest";
import { BackoffLimiter } from "./backoff.js";
import type { ReconcilerEvent } from "../types.js";
import { reconcilerFixture, START } from "../test-helpers.js";

const t = reconcilerFixture();
const iso = (ms: number) => new Date(ms).toISOString();
const starts = () => t.fake.calls.filter((c) => c.method === "startContainer").length;

describe("reconcileAll: restart policy, back-off and health", () => {
  it("a start counts only if the container is still running after it; failures back off exponentially", async () => {
    t.fake.setBehaviour("archy-job", { exitAfterChecks: 0, exitCode: 3 });
    const r = t.make([t.app("job", { backoff: "{ initial: 1s, max: 4s, reset: 1m }" })], {
      startSettleMs: 1_000,
    });
    const events: ReconcilerEvent[] = [];
    r.subscribe((e) => events.push(e));

    const first = await t.settle(r.reconcileAll());
    expect(first.failures[0]?.error).toBe(
      "archy-job exited with code 3 1050 ms after it was started",
    );
    expect(await r.appStatus("job")).toMatchObject({
      phase: "failed",
      stopReason: "crash",
      nextRetryAt: null,
    });

    // Second failure: 1 s back-off, then 2 s, then capped at 4 s.
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await t.settle(r.reconcileAll());
      const s = await r.appStatus("job");
      expect(s.phase).toBe("backoff");
      expect(s.stopReason).toBe("backoff");
      const wait = Date.parse(s.nextRetryAt!) - t.clock.now();
      delays.push(wait);
      expect(r.nextWakeAt()).toBe(t.clock.now() + wait);
      // Passes inside the back-off do nothing.
      const before = starts();
      await t.clock.advance(wait - 1);
      expect((await t.settle(r.reconcileAll())).skipped).toContainEqual(
        expect.objectContaining({ app: "job", stopReason: "backoff" }),
      );
      expect(starts()).toBe(before);
      await t.clock.advance(1);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 4_000]);
    expect(r.nextWakeAt()).toBeNull();
    expect(events.some((e) => e.type === "phase" && e.app === "job" && e.phase === "backoff")).toBe(
      true,
    );
  });

  it("a crash of a running app is restarted at once the first time and counted once", async () => {
    const r = t.make([t.app("web")]);
    await t.settle(r.reconcileAll());
    t.fake.crash("archy-web", 137);
    const report = await t.settle(r.reconcileAll());
    expect(report.actions).toMatchObject([
      { app: "web", kind: "start", reason: "exited (code 137)", ok: true },
    ]);
    expect(await r.appStatus("web")).toMatchObject({ phase: "running", restarts: 1 });
    // A crash soon after: now it backs off (initial 1 s).
    await t.clock.advance(1_000);
    t.fake.crash("archy-web", 137);
    await t.settle(r.reconcileAll());
    expect(await r.appStatus("web")).toMatchObject({
      phase: "backoff",
      nextRetryAt: iso(t.clock.now() + 1_000),
    });
  });

  it("running healthy for the reset period resets the back-off", async () => {
    const r = t.make([t.app("web", { backoff: "{ initial: 1s, max: 1m, reset: 10s }" })]);
    await t.settle(r.reconcileAll());
    for (let i = 0; i < 3; i++) {
      t.fake.crash("archy-web");
      await t.clock.advance(60_000);
      await t.settle(r.reconcileAll());
    }
    await t.clock.advance(1_000);
    t.fake.crash("archy-web");
    await t.settle(r.reconcileAll());
    expect((await r.appStatus("web")).phase).toBe("backoff");
    await t.clock.advance(60_000);
    await t.settle(r.reconcileAll()); // restarted
    await t.settle(r.reconcileAll()); // seen healthy: healthySince set
    await t.clock.advance(10_000);
    await t.settle(r.reconcileAll()); // reset
    t.fake.crash("archy-web");
    expect((await t.settle(r.reconcileAll())).actions).toMatchObject([{ kind: "start", ok: true }]);
  });

  it("unhealthy past retries: restarted, counted as a failed start", async () => {
    t.fake.setBehaviour("archy-web", {
      health: ["healthy", "unhealthy", "unhealthy", "unhealthy", "healthy"],
    });
    const r = t.make([t.app("web", { health: '{ cmd: ["check"], interval: 10ms, retries: 3 }' })]);
    await t.settle(r.reconcileAll());
    expect(await r.appStatus("web")).toMatchObject({ phase: "running", health: "healthy" });
    for (let i = 0; i < 3; i++) await t.fake.runHealthcheck("archy-web");
    const report = await t.settle(r.reconcileAll());
    expect(report.actions).toMatchObject([
      { kind: "restart", reason: "unhealthy past its retries", ok: true },
    ]);
    expect(await r.appStatus("web")).toMatchObject({
      phase: "running",
      health: "healthy",
      restarts: 1,
    });
  });

  it("an unhealthy restart that then fails counts one failure, not two", async () => {
    const health = '{ cmd: ["check"], interval: 10ms, retries: 3 }';
    const r = t.make([t.app("web", { health, backoff: "{ initial: 1s, max: 1m, reset: 1h }" })]);
    t.fake.setBehaviour("archy-web", { health: ["healthy", "unhealthy"] });
    await t.settle(r.reconcileAll());
    // One crash: failure 1, restarted at once.
    t.fake.crash("archy-web");
    await t.settle(r.reconcileAll());
    expect(await r.appStatus("web")).toMatchObject({ phase: "running", nextRetryAt: null });
    // Unhealthy past its retries; the restart exits 50 ms after it starts.
    for (let i = 0; i < 3; i++) await t.fake.runHealthcheck("archy-web");
    t.fake.setBehaviour("archy-web", { health: ["healthy", "unhealthy"], exitAfterMs: 50 });
    const report = await t.settle(r.reconcileAll());
    const failedAt = t.clock.now();
    expect(report.actions).toMatchObject([
      { kind: "restart", reason: "unhealthy past its retries", ok: false },
    ]);
    expect(report.failures[0]?.error).toBe(
      "archy-web exited with code 1 150 ms after it was started",
    );
    // failure 2: initial (1 s) from the failure; counted twice it would be 2 s.
    expect(await r.appStatus("web")).toMatchObject({
      phase: "backoff",
      nextRetryAt: iso(failedAt + 1_000),
    });
    const next = await t.settle(r.reconcileAll());
    expect(next.skipped).toMatchObject([
      { app: "web", stopReason: "backoff", reason: expect.stringMatching(/after 2 failures$/) },
    ]);
  });

  it("a start that never becomes healthy fails with reason health", async () => {
    t.fake.setBehaviour("archy-web", { health: ["unhealthy"] });
    const r = t.make([
      t.app("web", { health: '{ cmd: ["check"], interval: 10ms, retries: 2, timeout: 10ms }' }),
    ]);
    const report = await t.settle(r.reconcileAll());
    // start_period 0 + 2 retries x 10 ms + the 10 ms timeout; the first check is at 100 ms
    // (plus the shared status poll's 50 ms batch window).
    expect(report.failures[0]?.error).toBe("archy-web did not become healthy within 30 ms");
    expect(report.actions[0]?.durationMs).toBe(150);
    expect(await r.appStatus("web")).toMatchObject({ phase: "failed", stopReason: "health" });
  });

  it("when a dependency comes back, its backed-off dependents are retried at once", async () => {
    const r = t.make([t.app("web", { deps: ["db"] }), t.app("db")]);
    await t.settle(r.reconcileAll());
    // web crash-loops into a back-off.
    for (let i = 0; i < 3; i++) {
      t.fake.crash("archy-web");
      await t.clock.advance(10_000);
      await t.settle(r.reconcileAll());
    }
    await t.clock.advance(1_000);
    t.fake.crash("archy-web");
    await t.settle(r.reconcileAll());
    expect((await r.appStatus("web")).phase).toBe("backoff");
    // db dies and comes back: web is retried in the same pass.
    t.fake.crash("archy-db");
    const report = await t.settle(r.reconcileAll());
    expect(report.actions.map((a) => [a.app, a.kind, a.ok])).toEqual([
      ["db", "start", true],
      ["web", "start", true],
    ]);
  });
});

describe("BackoffLimiter (per app, beside the queue)", () => {
  const B = { initialMs: 1_000, maxMs: 4_000, resetMs: 10_000 };

  it("when: the first failure at once, then initial doubled up to max; forget starts over; requeues counts", () => {
    const limiter = new BackoffLimiter(new VirtualClock(START));
    expect([1, 2, 3, 4, 5].map(() => limiter.when("a", B))).toEqual([
      0, 1_000, 2_000, 4_000, 4_000,
    ]);
    expect(limiter.requeues("a")).toBe(5);
    expect(limiter.requeues("b")).toBe(0);
    limiter.forget("a");
    expect(limiter.requeues("a")).toBe(0);
    expect(limiter.waiting("a")).toBe(false);
  });

  it("armed, an app whose back-off ends is handed over alone on its own timer; release and disarm cancel it", async () => {
    const clock = new VirtualClock(START);
    const limiter = new BackoffLimiter(clock);
    const ready: string[] = [];
    limiter.when("a", B);
    limiter.when("a", B); // 1 s
    limiter.arm((id) => ready.push(id)); // a back-off set before arming is scheduled too
    limiter.when("b", B);
    limiter.when("b", B);
    limiter.when("b", B); // 2 s
    await clock.advance(999);
    expect(ready).toEqual([]);
    await clock.advance(1);
    expect(ready).toEqual(["a"]);
    expect(limiter.release("b")).toBe(true);
    await clock.advance(5_000);
    expect(ready).toEqual(["a"]);
    limiter.when("a", B); // 2 s
    limiter.disarm();
    await clock.advance(5_000);
    expect(ready).toEqual(["a"]);
  });

  it("a healthy run of reset forgets the failures before, at the next failure or when seen", async () => {
    const clock = new VirtualClock(START);
    const limiter = new BackoffLimiter(clock);
    limiter.when("a", B);
    limiter.when("a", B);
    limiter.started("a");
    await clock.advance(10_000);
    expect(limiter.when("a", B)).toBe(0); // a first failure again
    limiter.started("a");
    limiter.healthy("a", true, B.resetMs);
    await clock.advance(9_999);
    limiter.healthy("a", true, B.resetMs);
    expect(limiter.requeues("a")).toBe(1);
    await clock.advance(1);
    limiter.healthy("a", true, B.resetMs);
    expect(limiter.requeues("a")).toBe(0);
  });
});
