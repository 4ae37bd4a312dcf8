import type { Clock, ContainerEvent } from "@archy/runtime-podman";
import { FakeRuntime, VirtualClock } from "@archy/runtime-podman/testing";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ReconcileLoop, type LoopTarget } from "./loop.js";
import { Reconciler } from "../reconciler.js";
import { emptyReport, type ReconcileReport, type ReconcilerEvent } from "../types.js";
import { errorLogger, makeApp, START, tempState } from "../test-helpers.js";

const report = (): ReconcileReport => ({ ...emptyReport(""), observed: true });

/** Stands in for a Reconciler: the loop's scheduling is what these tests look at. */
class StubTarget implements LoopTarget {
  passes = 0;
  wakeAt: number | null = null;
  readonly startHealthMonitor = vi.fn<(signal?: AbortSignal) => void>();
  readonly stopHealthMonitor = vi.fn<() => void>();
  private readonly listeners = new Set<(e: ReconcilerEvent) => void>();

  constructor(
    private readonly clock: Clock,
    private readonly pass: () => Promise<ReconcileReport> = async () => report(),
  ) {}

  reconcileAll(): Promise<ReconcileReport> {
    this.passes++;
    return this.pass();
  }

  subscribe(listener: (e: ReconcilerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(e: ReconcilerEvent): void {
    for (const l of this.listeners) l(e);
  }

  nextWakeAt(): number | null {
    return this.wakeAt !== null && this.wakeAt > this.clock.now() ? this.wakeAt : null;
  }
}

describe("ReconcileLoop cadence (virtual time)", () => {
  let clock: VirtualClock;
  beforeEach(() => {
    clock = new VirtualClock(START);
  });

  it("a pass at once, the next after one interval, none in between; abort ends the loop", async () => {
    const r = new StubTarget(clock);
    const ac = new AbortController();
    const loop = new ReconcileLoop({
      reconciler: r,
      clock,
      intervalMs: 1_000,
      signal: ac.signal,
    });
    const running = loop.run();
    await clock.advance(0);
    expect(r.passes).toBe(1);
    await clock.advance(999);
    expect(r.passes).toBe(1);
    await clock.advance(1);
    expect(r.passes).toBe(2);
    await clock.advance(3_000);
    expect(r.passes).toBe(5);
    ac.abort();
    await running;
    await clock.advance(5_000);
    expect(r.passes).toBe(5);
    expect(r.startHealthMonitor).toHaveBeenCalledOnce();
    expect(r.stopHealthMonitor).toHaveBeenCalledOnce();
  });

  it("triggers during a pass schedule exactly one follow-up pass; passes never overlap", async () => {
    let release!: () => void;
    let inFlight = 0;
    let most = 0;
    const r = new StubTarget(clock, async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      if (r.passes === 1) await new Promise<void>((res) => (release = res));
      inFlight--;
      return report();
    });
    const ac = new AbortController();
    const loop = new ReconcileLoop({
      reconciler: r,
      clock,
      intervalMs: 60_000,
      signal: ac.signal,
    });
    const running = loop.run();
    await clock.advance(0);
    loop.trigger("a");
    loop.trigger("b");
    r.emit({ type: "wake", reason: "c", at: "" });
    release();
    await clock.advance(0);
    expect(r.passes).toBe(2);
    await clock.advance(59_999);
    expect(r.passes).toBe(2);
    expect(most).toBe(1);
    // A trigger while idle runs a pass at once.
    loop.trigger("d");
    await clock.advance(0);
    expect(r.passes).toBe(3);
    ac.abort();
    await running;
  });

  it("on abort the pass in flight finishes, then run() resolves", async () => {
    let release!: () => void;
    let finished = false;
    const r = new StubTarget(clock, async () => {
      await new Promise<void>((res) => (release = res));
      finished = true;
      return report();
    });
    const ac = new AbortController();
    const running = new ReconcileLoop({
      reconciler: r,
      clock,
      intervalMs: 1_000,
      signal: ac.signal,
    }).run();
    await clock.advance(0);
    ac.abort();
    let resolved = false;
    void running.then(() => (resolved = true));
    await clock.advance(10);
    expect(resolved).toBe(false);
    release();
    await clock.advance(0);
    expect(finished).toBe(true);
    expect(resolved).toBe(true);
    expect(r.passes).toBe(1);
  });

  it("a pass that throws is logged and the loop goes on", async () => {
    const r = new StubTarget(clock, async () => {
      if (r.passes === 1) throw new Error("boom");
      return report();
    });
    const { errors, logger } = errorLogger();
    const ac = new AbortController();
    const running = new ReconcileLoop({
      reconciler: r,
      clock,
      intervalMs: 100,
      signal: ac.signal,
      logger,
    }).run();
    await clock.advance(250);
    expect(r.passes).toBe(3);
    expect(errors).toEqual(["a pass failed; the loop goes on"]);
    ac.abort();
    await running;
  });

  it("wakes for a back-off that runs out before the interval", async () => {
    const r = new StubTarget(clock);
    r.wakeAt = clock.now() + 300;
    const ac = new AbortController();
    const running = new ReconcileLoop({
      reconciler: r,
      clock,
      intervalMs: 30_000,
      signal: ac.signal,
    }).run();
    await clock.advance(299);
    expect(r.passes).toBe(1);
    await clock.advance(11);
    expect(r.passes).toBe(2);
    ac.abort();
    await running;
  });

  it("an app's container event triggers a pass; other containers' do not; a broken stream is reopened with a full pass", async () => {
    const r = new StubTarget(clock);
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
      reconciler: r,
      clock,
      intervalMs: 60_000,
      signal: ac.signal,
      events: open,
      reconnectDelayMs: 500,
      onEvent: (e) => seen.push(e.name),
    }).run();
    await clock.advance(0);
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
    await clock.advance(0);
    expect(r.passes).toBe(2);
    streams[0]!.push(ev("someone-else", "died"));
    streams[0]!.push(ev("archy-web", "exec_died", { "io.archy.app": "web" }));
    await clock.advance(0);
    expect(r.passes).toBe(2);
    expect(seen).toEqual(["archy-web", "someone-else", "archy-web"]);
    streams[0]!.fail();
    await clock.advance(499);
    expect(streams).toHaveLength(1);
    await clock.advance(1);
    expect(streams).toHaveLength(2);
    expect(r.passes).toBe(3);
    ac.abort();
    await running;
  });
});

describe("ReconcileLoop with a Reconciler on FakeRuntime (virtual time)", () => {
  it("a died container is running again within a second", async () => {
    const state = await tempState();
    const clock = new VirtualClock(START);
    const fake = new FakeRuntime({ clock, images: ["localhost/web:1"] });
    try {
      const reconciler = new Reconciler({
        runtime: fake,
        apps: [makeApp("web", { dir: state.dir })],
        stateDir: state.dir,
        startSettleMs: 50,
        clock,
      });
      let phase: string | null = null;
      reconciler.subscribe((e) => e.type === "phase" && e.app === "web" && (phase = e.phase));
      const ac = new AbortController();
      const loop = new ReconcileLoop({
        reconciler,
        clock,
        intervalMs: 60_000,
        signal: ac.signal,
        events: (signal, since) => fake.events({ signal, since }),
      });
      const running = loop.run();
      await clock.until(() => loop.passes === 1);
      expect(fake.containers.get("archy-web")?.state).toBe("running");
      expect(phase).toBe("running");
      fake.crash("archy-web");
      // Running again, and counted as started (its 50 ms settle window passed), on the event alone.
      const took = await clock.until(
        () => fake.containers.get("archy-web")?.state === "running" && phase === "running",
        { step: 10, limitMs: 1_000 },
      );
      expect(took).toBeLessThan(1_000);
      // The died event itself was the observation: no pass ran for it.
      expect(loop.passes).toBe(1);
      expect(await reconciler.appStatus("web")).toMatchObject({ phase: "running", restarts: 1 });
      ac.abort();
      await running;
    } finally {
      fake.dispose();
      await state.remove();
    }
  });

  /** A Reconciler under a loop on the fake runtime, its app's phases recorded. */
  async function underLoop(
    backoff: string,
    run: (h: {
      clock: VirtualClock;
      fake: FakeRuntime;
      loop: ReconcileLoop;
      reconciler: Reconciler;
      phase: () => string | null;
    }) => Promise<void>,
  ) {
    const state = await tempState();
    const clock = new VirtualClock(START);
    const fake = new FakeRuntime({ clock, images: ["localhost/web:1"] });
    const ac = new AbortController();
    try {
      const reconciler = new Reconciler({
        runtime: fake,
        apps: [makeApp("web", { dir: state.dir, backoff })],
        stateDir: state.dir,
        startSettleMs: 50,
        clock,
      });
      let phase: string | null = null;
      reconciler.subscribe((e) => e.type === "phase" && e.app === "web" && (phase = e.phase));
      const loop = new ReconcileLoop({
        reconciler,
        clock,
        intervalMs: 30_000,
        signal: ac.signal,
        events: (signal, since) => fake.events({ signal, since }),
      });
      const running = loop.run();
      await clock.until(() => loop.passes === 1);
      await run({ clock, fake, loop, reconciler, phase: () => phase });
      ac.abort();
      await running;
    } finally {
      ac.abort();
      fake.dispose();
      await state.remove();
    }
  }

  const upAgain = (fake: FakeRuntime, phase: () => string | null) => () =>
    fake.containers.get("archy-web")?.state === "running" && phase() === "running";

  // The restart missed in a side-by-side run: a kill 10 s after another put the app in a
  // back-off set by the died event, which armed no timer; the 30 s pass found it.
  it("a back-off decided from a died event ends on its own timer: the app is retried alone, not at the next pass", async () => {
    await underLoop("{ initial: 1s, max: 1m, reset: 1m }", async ({ clock, fake, loop, phase }) => {
      fake.crash("archy-web", 137);
      await clock.until(upAgain(fake, phase), { step: 10, limitMs: 1_000 });
      await clock.advance(10_000);
      fake.crash("archy-web", 137); // second failure within reset: 1 s of back-off
      await clock.until(() => phase() === "backoff", { step: 10, limitMs: 1_000 });
      const before = fake.calls.length;
      const took = await clock.until(upAgain(fake, phase), { step: 10, limitMs: 5_000 });
      expect(took).toBeLessThan(1_500);
      // Neither the deaths nor the end of the back-off needed a pass; the retry looked at
      // the container once and took the image as the pass saw it (then the settle's ps).
      expect(loop.passes).toBe(1);
      expect(fake.calls.slice(before).map((c) => c.method)).toEqual([
        "getContainerStatus",
        "startContainer",
        "listContainers",
      ]);
    });
  });

  it("a healthy run of reset forgets earlier failures when the next death comes, with no pass in between", async () => {
    await underLoop(
      "{ initial: 10s, max: 1m, reset: 5s }",
      async ({ clock, fake, loop, phase }) => {
        for (let i = 0; i < 4; i++) {
          fake.crash("archy-web", 137);
          // Each death after 6 s of running is a first failure again: restarted at once.
          const took = await clock.until(upAgain(fake, phase), { step: 10, limitMs: 1_000 });
          expect(took).toBeLessThan(1_000);
          await clock.advance(6_000);
        }
        expect(loop.passes).toBe(1);
      },
    );
  });
});
