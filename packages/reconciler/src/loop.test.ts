import type { ContainerEvent } from "@archy/runtime-podman";
import { FakeRuntime } from "@archy/runtime-podman/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReconcileLoop } from "./loop.js";
import {
  emptyReport,
  Reconciler,
  type ReconcileReport,
  type ReconcilerEvent,
} from "./reconciler.js";
import { makeApp, tempState } from "./test-helpers.js";

const report = (): ReconcileReport => ({ ...emptyReport(""), observed: true });

/** Stands in for a Reconciler: the loop's scheduling is what these tests look at. */
function stubReconciler(pass: () => Promise<ReconcileReport> = async () => report()) {
  const listeners = new Set<(e: ReconcilerEvent) => void>();
  const stub = {
    passes: 0,
    wakeAt: null as number | null,
    reconcileAll: vi.fn(async () => {
      stub.passes++;
      return pass();
    }),
    subscribe: (l: (e: ReconcilerEvent) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit: (e: ReconcilerEvent) => listeners.forEach((l) => l(e)),
    startHealthMonitor: vi.fn(),
    stopHealthMonitor: vi.fn(),
    nextWakeAt: () => (stub.wakeAt !== null && stub.wakeAt > Date.now() ? stub.wakeAt : null),
  };
  return stub;
}

describe("ReconcileLoop cadence (fake timers)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a pass at once, the next after one interval, none in between; abort ends the loop", async () => {
    const r = stubReconciler();
    const ac = new AbortController();
    const loop = new ReconcileLoop({
      reconciler: r as unknown as Reconciler,
      intervalMs: 1_000,
      signal: ac.signal,
    });
    const running = loop.run();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.passes).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(r.passes).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.passes).toBe(2);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(r.passes).toBe(5);
    ac.abort();
    await running;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(r.passes).toBe(5);
    expect(r.startHealthMonitor).toHaveBeenCalledOnce();
    expect(r.stopHealthMonitor).toHaveBeenCalledOnce();
  });

  it("triggers during a pass schedule exactly one follow-up pass; passes never overlap", async () => {
    let release!: () => void;
    let inFlight = 0;
    let most = 0;
    const r = stubReconciler(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      if (r.passes === 1) await new Promise<void>((res) => (release = res));
      inFlight--;
      return report();
    });
    const ac = new AbortController();
    const loop = new ReconcileLoop({
      reconciler: r as unknown as Reconciler,
      intervalMs: 60_000,
      signal: ac.signal,
    });
    const running = loop.run();
    await vi.advanceTimersByTimeAsync(0);
    loop.trigger("a");
    loop.trigger("b");
    r.emit({ type: "wake", reason: "c", at: "" });
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.passes).toBe(2);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(r.passes).toBe(2);
    expect(most).toBe(1);
    // A trigger while idle runs a pass at once.
    loop.trigger("d");
    await vi.advanceTimersByTimeAsync(0);
    expect(r.passes).toBe(3);
    ac.abort();
    await running;
  });

  it("on abort the pass in flight finishes, then run() resolves", async () => {
    let release!: () => void;
    let finished = false;
    const r = stubReconciler(async () => {
      await new Promise<void>((res) => (release = res));
      finished = true;
      return report();
    });
    const ac = new AbortController();
    const running = new ReconcileLoop({
      reconciler: r as unknown as Reconciler,
      intervalMs: 1_000,
      signal: ac.signal,
    }).run();
    await vi.advanceTimersByTimeAsync(0);
    ac.abort();
    let resolved = false;
    void running.then(() => (resolved = true));
    await vi.advanceTimersByTimeAsync(10);
    expect(resolved).toBe(false);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(finished).toBe(true);
    expect(resolved).toBe(true);
    expect(r.passes).toBe(1);
  });

  it("a pass that throws is logged and the loop goes on", async () => {
    const r = stubReconciler(async () => {
      if (r.passes === 1) throw new Error("boom");
      return report();
    });
    const errors: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (_o: object, m: string) => errors.push(m),
    };
    const ac = new AbortController();
    const running = new ReconcileLoop({
      reconciler: r as unknown as Reconciler,
      intervalMs: 100,
      signal: ac.signal,
      logger,
    }).run();
    await vi.advanceTimersByTimeAsync(250);
    expect(r.passes).toBe(3);
    expect(errors).toEqual(["a pass failed; the loop goes on"]);
    ac.abort();
    await running;
  });

  it("wakes for a back-off that runs out before the interval", async () => {
    const r = stubReconciler();
    r.wakeAt = Date.now() + 300;
    const ac = new AbortController();
    const running = new ReconcileLoop({
      reconciler: r as unknown as Reconciler,
      intervalMs: 30_000,
      signal: ac.signal,
    }).run();
    await vi.advanceTimersByTimeAsync(0);
    r.wakeAt = Date.now() + 300;
    await vi.advanceTimersByTimeAsync(310);
    expect(r.passes).toBe(2);
    ac.abort();
    await running;
  });

  it("an app's container event triggers a pass; other containers' do not; a broken stream is reopened with a full pass", async () => {
    const r = stubReconciler();
    const ac = new AbortController();
    const streams: { push: (e: ContainerEvent) => void; fail: () => void }[] = [];
    const open = (signal: AbortSignal) =>
      (async function* () {
        const queue: ContainerEvent[] = [];
        let wake: (() => void) | null = null;
        let failed = false;
        streams.push({
          push: (e) => (queue.push(e), wake?.()),
          fail: () => ((failed = true), wake?.()),
        });
        signal.addEventListener("abort", () => wake?.());
        for (;;) {
          if (signal.aborted) return;
          if (failed) throw new Error("podman events died");
          const e = queue.shift();
          if (e) yield e;
          else await new Promise<void>((res) => (wake = res));
        }
      })();
    const seen: string[] = [];
    const running = new ReconcileLoop({
      reconciler: r as unknown as Reconciler,
      intervalMs: 60_000,
      signal: ac.signal,
      events: open,
      reconnectDelayMs: 500,
      onEvent: (e) => seen.push(e.name),
    }).run();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.passes).toBe(1);
    const ev = (
      name: string,
      status: string,
      labels: Record<string, string> = {},
    ): ContainerEvent => ({
      time: "",
      id: "x",
      name,
      status,
      exitCode: status === "died" ? 137 : null,
      health: null,
      labels,
    });
    streams[0]!.push(ev("archy-web", "died", { "io.archy.app": "web" }));
    await vi.advanceTimersByTimeAsync(0);
    expect(r.passes).toBe(2);
    streams[0]!.push(ev("someone-else", "died"));
    streams[0]!.push(ev("archy-web", "exec_died", { "io.archy.app": "web" }));
    await vi.advanceTimersByTimeAsync(0);
    expect(r.passes).toBe(2);
    expect(seen).toEqual(["archy-web", "someone-else", "archy-web"]);
    streams[0]!.fail();
    await vi.advanceTimersByTimeAsync(499);
    expect(streams).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(streams).toHaveLength(2);
    expect(r.passes).toBe(3);
    ac.abort();
    await running;
  });
});

describe("ReconcileLoop with a Reconciler on FakeRuntime (real timers)", () => {
  it("a died container is running again within a second", async () => {
    const state = await tempState();
    const fake = new FakeRuntime({ images: ["localhost/web:1"] });
    try {
      const reconciler = new Reconciler({
        runtime: fake,
        apps: [makeApp("web", { dir: state.dir })],
        stateDir: state.dir,
        startSettleMs: 50,
      });
      const ac = new AbortController();
      const running = new ReconcileLoop({
        reconciler,
        intervalMs: 60_000,
        signal: ac.signal,
        events: (signal) => fake.events({ signal }),
      }).run();
      await new Promise((r) => setTimeout(r, 200));
      expect(fake.containers.get("archy-web")?.state).toBe("running");
      const t0 = Date.now();
      fake.crash("archy-web");
      while (fake.containers.get("archy-web")?.state !== "running" && Date.now() - t0 < 2_000)
        await new Promise((r) => setTimeout(r, 10));
      expect(fake.containers.get("archy-web")?.state).toBe("running");
      expect(Date.now() - t0).toBeLessThan(1_000);
      ac.abort();
      await running;
    } finally {
      fake.dispose();
      await state.remove();
    }
  });
});
