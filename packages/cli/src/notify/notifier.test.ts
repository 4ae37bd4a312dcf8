// The notifier on virtual time with a scripted delivery: in order per
// target, retried with a doubling delay, held to the rate limit, and what is
// pending outlives the daemon (the outbox file).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReconcilerEvent } from "@archy/reconciler/api";
import { VirtualClock } from "@archy/runtime-podman/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Notice } from "./alerts.js";
import type { NotifyConfig, Target } from "./config.js";
import type { Delivery } from "./deliver.js";
import { Notifier } from "./notifier.js";

const START = Date.parse("2026-12-08T10:00:00Z");
const hook: Target = { kind: "webhook", name: "hook", url: "http://127.0.0.1:1/", secret: null };
const cmd: Target = { kind: "command", name: "cmd", argv: ["true"] };
const config = (over: Partial<NotifyConfig> = {}): NotifyConfig => ({
  targets: [hook, cmd],
  settleMs: 60_000,
  ratePerMinute: 20,
  timeoutMs: 5_000,
  ...over,
});
const backoff = (app: string): ReconcilerEvent => ({
  type: "phase",
  app,
  phase: "backoff",
  previous: "running",
  stopReason: "backoff",
  at: "",
});
const silent = { info() {}, warn() {} };

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "archy-notify-"))));
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A delivery that answers as `answer` says, recording each attempt. */
function scripted(answer: (target: string, n: Notice, attempt: number) => boolean) {
  const attempts: { target: string; key: string; state: string; at: number }[] = [];
  let clock: VirtualClock;
  const deliver = async (t: Target, n: Notice): Promise<Delivery> => {
    const attempt = attempts.filter((a) => a.target === t.name && a.key === n.key).length;
    attempts.push({ target: t.name, key: n.key, state: n.state, at: clock.now() - START });
    const ok = answer(t.name, n, attempt);
    return { ok, answer: ok ? "HTTP 204" : "HTTP 500" };
  };
  return { attempts, deliver, bind: (c: VirtualClock) => (clock = c) };
}

describe("the notifier", () => {
  it("each message to every target; a failing one is retried 2 s, 4 s, 8 s later, the other is not held up", async () => {
    const clock = new VirtualClock(START);
    const d = scripted((target, _n, attempt) => target === "cmd" || attempt >= 3);
    d.bind(clock);
    const n = new Notifier({
      config: config(),
      stateDir: dir,
      clock,
      log: silent,
      deliver: d.deliver,
    });
    await n.start();
    n.onEvent(backoff("web"));
    await clock.until(() => d.attempts.filter((a) => a.target === "hook").length === 4, {
      limitMs: 60_000,
    });
    expect(d.attempts.filter((a) => a.target === "hook").map((a) => a.at)).toEqual([
      0, 2_000, 6_000, 14_000,
    ]);
    expect(d.attempts.filter((a) => a.target === "cmd").map((a) => a.at)).toEqual([0]);
    await n.close();
    expect(
      JSON.parse(await readFile(join(dir, "notify-outbox.json"), "utf8")).data.pending,
    ).toEqual([]);
  });

  it("what a target has not taken survives the daemon: the next one delivers it", async () => {
    const clock = new VirtualClock(START);
    const down = scripted(() => false);
    down.bind(clock);
    const first = new Notifier({
      config: config({ targets: [hook] }),
      stateDir: dir,
      clock,
      log: silent,
      deliver: down.deliver,
    });
    await first.start();
    first.onEvent(backoff("web"));
    await clock.until(() => down.attempts.length === 1);
    await first.close();

    const up = scripted(() => true);
    up.bind(clock);
    const second = new Notifier({
      config: config({ targets: [hook] }),
      stateDir: dir,
      clock,
      log: silent,
      deliver: up.deliver,
    });
    await second.start();
    await clock.until(() => up.attempts.length === 1, { limitMs: 10_000 });
    expect(up.attempts[0]!.key).toBe("crash-loop:web");
    await second.close();
  });

  it("a problem open when the daemon stopped is resolved by the next one once its cause is gone", async () => {
    const clock = new VirtualClock(START);
    const d = scripted(() => true);
    d.bind(clock);
    const cfg = config({ targets: [hook] });
    const first = new Notifier({
      config: cfg,
      stateDir: dir,
      clock,
      log: silent,
      deliver: d.deliver,
    });
    await first.start();
    first.onEvent(backoff("web"));
    await clock.until(() => d.attempts.length === 1);
    await first.close();
    const second = new Notifier({
      config: cfg,
      stateDir: dir,
      clock,
      log: silent,
      deliver: d.deliver,
    });
    await second.start();
    expect(second.openProblems().map((n) => n.key)).toEqual(["crash-loop:web"]);
    second.onEvent({ ...backoff("web"), phase: "running", stopReason: null } as ReconcilerEvent);
    await clock.until(() => d.attempts.length === 2, { limitMs: 120_000 });
    expect(d.attempts.map((a) => a.key)).toEqual(["crash-loop:web", "crash-loop:web"]);
    expect(second.openProblems()).toEqual([]);
    await second.close();
  });

  it("a resolution never overtakes its open, even while the open waits for a retry", async () => {
    const clock = new VirtualClock(START);
    const d = scripted((_t, _n, attempt) => attempt > 0); // the first try of each message fails
    d.bind(clock);
    const n = new Notifier({
      config: config({ targets: [hook], settleMs: 1_000 }),
      stateDir: dir,
      clock,
      log: silent,
      deliver: d.deliver,
    });
    await n.start();
    n.onEvent(backoff("web"));
    await clock.until(() => d.attempts.length === 1);
    n.onEvent({ ...backoff("web"), phase: "running", stopReason: null } as ReconcilerEvent);
    await clock.until(() => d.attempts.length === 3, { limitMs: 60_000 });
    // The resolution (written at 1 s) waits behind the open's retry at 2 s.
    expect(d.attempts.map((a) => [a.state, a.at])).toEqual([
      ["open", 0],
      ["open", 2_000],
      ["resolved", 2_000],
    ]);
    await n.close();
  });

  it("at most rate_limit messages a minute to a target; the rest wait their turn, in order", async () => {
    const clock = new VirtualClock(START);
    const d = scripted(() => true);
    d.bind(clock);
    const n = new Notifier({
      config: config({ targets: [hook], ratePerMinute: 3 }),
      stateDir: dir,
      clock,
      log: silent,
      deliver: d.deliver,
    });
    await n.start();
    for (const app of ["a", "b", "c", "d", "e"]) n.onEvent(backoff(app));
    await clock.until(() => d.attempts.length === 5, { limitMs: 120_000 });
    expect(d.attempts.map((a) => [a.key, a.at])).toEqual([
      ["crash-loop:a", 0],
      ["crash-loop:b", 0],
      ["crash-loop:c", 0],
      ["crash-loop:d", 60_000],
      ["crash-loop:e", 60_000],
    ]);
    await n.close();
  });
});
