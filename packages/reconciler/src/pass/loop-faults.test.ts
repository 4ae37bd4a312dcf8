// The loop when podman fails (issue 10, "a podman that fails"): its trust in
// its event stream (a `podman events` that stays alive but silent, or one
// opened while podman was failing, is replaced; a healthy one never is) and a
// back-off that runs out during a slow pass. Virtual time.
import { PodmanOutputError, sleep } from "@archy/runtime-podman";
import { FakeRuntime, VirtualClock } from "@archy/runtime-podman/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReconcileLoop, type LoopTarget } from "./loop.js";
import { Reconciler } from "../reconciler.js";
import { makeApp, START, tempState } from "../test-helpers.js";
import { emptyReport } from "../types.js";

const INTERVAL = 10_000;

describe("ReconcileLoop: an event stream it cannot trust is replaced", () => {
  let state: { dir: string; remove: () => Promise<void> };
  let clock: VirtualClock;
  let fake: FakeRuntime;
  let reconciler: Reconciler;
  let loop: ReconcileLoop;
  let ac: AbortController;
  let running: Promise<void>;

  beforeEach(async () => {
    state = await tempState();
    clock = new VirtualClock(START);
    fake = new FakeRuntime({ clock, images: ["localhost/web:1"] });
    reconciler = new Reconciler({
      runtime: fake,
      // A short back-off: crashes a few seconds apart restart at once.
      apps: [
        makeApp("web", { dir: state.dir, backoff: "{ initial: 100ms, max: 100ms, reset: 1s }" }),
      ],
      stateDir: state.dir,
      startSettleMs: 50,
      clock,
    });
    ac = new AbortController();
    loop = new ReconcileLoop({
      reconciler,
      clock,
      intervalMs: INTERVAL,
      signal: ac.signal,
      events: (signal, since) => fake.events({ signal, since }),
    });
    running = loop.run();
    await clock.until(() => loop.passes === 1);
    expect(fake.containers.get("archy-web")?.state).toBe("running");
  });
  afterEach(async () => {
    ac.abort();
    await running;
    fake.dispose();
    await state.remove();
  });

  const startedAt = () => fake.containers.get("archy-web")!.startedAt;
  /** Crashes the app; resolves with how long (virtual ms) until it runs again. */
  const crashAndWait = async (limitMs: number) => {
    const before = startedAt();
    fake.crash("archy-web");
    return clock.until(
      () => fake.containers.get("archy-web")?.state === "running" && startedAt() !== before,
      { step: 10, limitMs },
    );
  };

  it("a healthy stream is never replaced: deaths it reports are acted on at once, quiet intervals cost nothing", async () => {
    expect(await crashAndWait(1_000)).toBeLessThan(1_000);
    await clock.advance(10 * INTERVAL);
    expect(await crashAndWait(1_000)).toBeLessThan(1_000);
    await clock.advance(3 * INTERVAL);
    expect(loop.streamReopens).toBe(0);
  });

  it("a stream that stalls is replaced by the pass that finds a death it never reported; the next death is acted on at once", async () => {
    await clock.advance(3_000);
    fake.stallEvents();
    // Nothing comes: the interval pass restarts it and sees the stream missed the death.
    const slow = await crashAndWait(2 * INTERVAL);
    expect(slow).toBeGreaterThan(1_000);
    await clock.until(() => loop.streamReopens === 1, { limitMs: INTERVAL });
    // (An interval pass first: it sees the app ran past its back-off reset.)
    await clock.advance(INTERVAL);
    const passes = loop.passes;
    expect(await crashAndWait(1_000)).toBeLessThan(1_000);
    expect(loop.passes).toBe(passes);
    expect(loop.streamReopens).toBe(1);
  });

  it("a stream that stalls is replaced by the pass that finds a start it never reported (a restart outside archy, no death to miss)", async () => {
    await clock.advance(3_000);
    fake.stallEvents();
    await fake.stopContainer("archy-web", { timeoutSeconds: 1 });
    await fake.startContainer("archy-web");
    expect(fake.containers.get("archy-web")?.state).toBe("running");
    await clock.until(() => loop.streamReopens === 1, { limitMs: INTERVAL + 1_000 });
    expect(await crashAndWait(1_000)).toBeLessThan(1_000);
  });

  it("a stream open while a call outside a pass failed (a status refresh's unreadable ps) is replaced by the next pass, though every pass observed", async () => {
    await clock.advance(3_000);
    // It goes silent; only podman's trouble, outside any pass, tells.
    fake.stallEvents();
    fake.failNext("listContainers", new PodmanOutputError("ps", "not JSON"));
    await expect(reconciler.refresh()).rejects.toThrow(PodmanOutputError);
    await clock.until(() => loop.streamReopens === 1, { limitMs: INTERVAL + 1_000 });
    expect(await crashAndWait(1_000)).toBeLessThan(1_000);
  });

  it("a stream that delivers an event after podman's trouble is alive: kept", async () => {
    await clock.advance(3_000);
    fake.failNext("listContainers", new PodmanOutputError("ps", "not JSON"));
    await expect(reconciler.refresh()).rejects.toThrow(PodmanOutputError);
    await clock.advance(100);
    expect(await crashAndWait(1_000)).toBeLessThan(1_000);
    await clock.advance(3 * INTERVAL);
    expect(loop.streamReopens).toBe(0);
  });

  it("a stream open while podman failed to answer is replaced once podman answers, until one opens two intervals after the last failure", async () => {
    await clock.advance(2_000);
    fake.failNext("listContainers", undefined, { times: 2 });
    loop.trigger("test: a pass that fails");
    await clock.advance(100);
    // It went silent while podman failed; nothing tells but the failure.
    fake.stallEvents();
    await clock.advance(2_000);
    loop.trigger("test: a pass that fails again");
    await clock.advance(100);
    expect(loop.streamReopens).toBe(0);
    loop.trigger("test: a pass that observes");
    await clock.until(() => loop.streamReopens === 1, { limitMs: 1_000 });
    expect(await crashAndWait(1_000)).toBeLessThan(1_000);
    // Streams opened within two intervals of the failure are replaced at the following passes, then one is kept.
    await clock.advance(5 * INTERVAL);
    const reopens = loop.streamReopens;
    expect(reopens).toBeLessThanOrEqual(3);
    await clock.advance(5 * INTERVAL);
    expect(loop.streamReopens).toBe(reopens);
    expect(await crashAndWait(1_000)).toBeLessThan(1_000);
  });
});

describe("ReconcileLoop: a back-off that runs out during a pass", () => {
  it("the next pass runs when the pass ends, not an interval later", async () => {
    const clock = new VirtualClock(START);
    const retryAt = START + 1_000;
    const passAt: number[] = [];
    // The first pass takes 3 s (podman hanging until its timeout) and skips an app backing off until 1 s.
    const target: LoopTarget = {
      subscribe: () => () => undefined,
      startHealthMonitor: () => undefined,
      stopHealthMonitor: () => undefined,
      nextWakeAt: () => (clock.now() < retryAt ? retryAt : null),
      reconcileAll: async () => {
        passAt.push(clock.now() - START);
        const report = { ...emptyReport(""), observed: true };
        if (passAt.length === 1) {
          await sleep(clock, 3_000);
          report.skipped.push({ app: "web", reason: "back-off", stopReason: "backoff" });
        }
        return report;
      },
    };
    const ac = new AbortController();
    const running = new ReconcileLoop({
      reconciler: target,
      clock,
      intervalMs: INTERVAL,
      signal: ac.signal,
    }).run();
    await clock.advance(3_000);
    await clock.advance(0);
    expect(passAt).toEqual([0, 3_000]);
    ac.abort();
    await running;
  });
});
