import { VirtualClock } from "@archy/runtime-podman/testing";
import { describe, expect, it } from "vitest";
import type { SystemdError } from "./errors.js";
import { createNotifier, watchdogUsecFor } from "./notify.js";
import { fakeRunner, gate } from "./test-runner.js";

const SOCKET = "/run/systemd/notify";
const env = (extra: Record<string, string> = {}) => ({ NOTIFY_SOCKET: SOCKET, ...extra });

describe("createNotifier", () => {
  it("is null without NOTIFY_SOCKET: the daemon then does what it always did", () => {
    expect(createNotifier({ env: {} })).toBeNull();
    expect(createNotifier({ env: { NOTIFY_SOCKET: "" } })).toBeNull();
  });

  it("sends each message as one systemd-notify with NOTIFY_SOCKET, in order", async () => {
    const fake = fakeRunner();
    const n = createNotifier({ env: env(), run: fake.run, notifyPath: "/usr/bin/systemd-notify" })!;
    await n.status("recovering 3 containers");
    await n.ready("2 apps: 2 running, 0 stopped");
    await n.stopping("stopping: finishing the pass in flight");
    expect(fake.calls.map((c) => c.argv)).toEqual([
      ["/usr/bin/systemd-notify", "STATUS=recovering 3 containers"],
      ["/usr/bin/systemd-notify", "READY=1", "STATUS=2 apps: 2 running, 0 stopped"],
      ["/usr/bin/systemd-notify", "STOPPING=1", "STATUS=stopping: finishing the pass in flight"],
    ]);
    expect(fake.calls.every((c) => c.env?.NOTIFY_SOCKET === SOCKET)).toBe(true);
    expect(fake.calls.every((c) => c.timeoutMs === 10_000)).toBe(true);
  });

  it("one message at a time, in the order asked, however slow systemd-notify is", async () => {
    const first = gate();
    const fake = fakeRunner(async (c) => {
      if (c.args[0] === "STATUS=one") await first.wait;
      return {};
    });
    const n = createNotifier({ env: env(), run: fake.run })!;
    const all = [n.status("one"), n.ready("two"), n.status("three")];
    await new Promise((r) => setImmediate(r));
    expect(fake.calls).toHaveLength(1); // the others wait for the first
    first.open();
    await Promise.all(all);
    expect(fake.calls.map((c) => c.args.join(" "))).toEqual([
      "STATUS=one",
      "READY=1 STATUS=two",
      "STATUS=three",
    ]);
    expect(fake.state.maxInFlight).toBe(1);
  });

  it("a status equal to the last one is not sent again; newlines become spaces", async () => {
    const fake = fakeRunner();
    const n = createNotifier({ env: env(), run: fake.run })!;
    await n.status("1 app: 1 running");
    await n.status("1 app: 1 running");
    await n.status("line one\nline two");
    expect(fake.calls.map((c) => c.args)).toEqual([
      ["STATUS=1 app: 1 running"],
      ["STATUS=line one line two"],
    ]);
  });

  it("failures are reported to onError, never thrown, and later messages still go", async () => {
    const errors: SystemdError[] = [];
    let i = 0;
    const fake = fakeRunner(() => {
      i++;
      if (i === 1)
        return {
          exitCode: null,
          spawnError: Object.assign(new Error("spawn ENOENT"), { code: "ENOENT" }),
        };
      if (i === 2) return { exitCode: null, timedOut: true };
      if (i === 3)
        return { exitCode: 1, stderr: "Failed to notify init system: Permission denied\n" };
      if (i === 4) throw new Error("runner broke");
      return {};
    });
    const n = createNotifier({ env: env(), run: fake.run, onError: (e) => errors.push(e) })!;
    for (const t of ["a", "b", "c", "d"]) await expect(n.status(t)).resolves.toBeUndefined();
    await n.ready();
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ["ENOTIFY", "systemd-notify could not be started: spawn ENOENT"],
      ["ENOTIFY", "systemd-notify did not finish within 10000 ms"],
      [
        "ENOTIFY",
        "systemd-notify STATUS=c exited with 1: Failed to notify init system: Permission denied",
      ],
      ["ENOTIFY", "systemd-notify failed: runner broke"],
    ]);
    expect(errors[2]!.command).toEqual(["systemd-notify", "STATUS=c"]);
    expect(fake.calls.at(-1)!.args).toEqual(["READY=1"]);
  });
});

describe("the watchdog", () => {
  it("WATCHDOG_USEC is for this process unless WATCHDOG_PID names another", () => {
    expect(watchdogUsecFor({ WATCHDOG_USEC: "30000000" }, 42)).toBe(30_000_000);
    expect(watchdogUsecFor({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "42" }, 42)).toBe(30_000_000);
    expect(watchdogUsecFor({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "41" }, 42)).toBeNull();
    expect(watchdogUsecFor({}, 42)).toBeNull();
    expect(watchdogUsecFor({ WATCHDOG_USEC: "0" }, 42)).toBeNull();
    expect(watchdogUsecFor({ WATCHDOG_USEC: "soon" }, 42)).toBeNull();
  });

  it("no WATCHDOG_USEC (or another PID's): startWatchdog starts nothing", () => {
    const clock = new VirtualClock();
    const n = createNotifier({
      env: env({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "1" }),
      pid: 2,
      clock,
    })!;
    expect(n.watchdogUsec).toBeNull();
    expect(n.startWatchdog()).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it("keep-alives every half period from a timer: EXTEND_TIMEOUT_USEC before READY, WATCHDOG=1 after", async () => {
    const clock = new VirtualClock();
    const fake = fakeRunner();
    const n = createNotifier({
      env: env({ WATCHDOG_USEC: "30000000" }),
      run: fake.run,
      clock,
      pid: 7,
    })!;
    expect(n.watchdogUsec).toBe(30_000_000);
    expect(n.startWatchdog()).toBe(true);
    expect(n.startWatchdog()).toBe(true); // a second start keeps the one timer
    expect(clock.pending).toBe(1);
    await clock.advance(14_999);
    expect(fake.calls).toHaveLength(0);
    await clock.advance(1); // 15 s: half of 30 s
    await clock.advance(15_000); // 30 s
    expect(fake.calls.map((c) => c.args)).toEqual([
      ["EXTEND_TIMEOUT_USEC=30000000"],
      ["EXTEND_TIMEOUT_USEC=30000000"],
    ]);
    await n.ready();
    await clock.advance(45_000);
    expect(fake.calls.slice(3).map((c) => c.args)).toEqual([
      ["WATCHDOG=1"],
      ["WATCHDOG=1"],
      ["WATCHDOG=1"],
    ]);
    n.stopWatchdog();
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(fake.calls).toHaveLength(6);
  });

  it("no time on the clock, no keep-alive: a wedged or stopped process goes silent", async () => {
    const clock = new VirtualClock();
    const fake = fakeRunner();
    const n = createNotifier({ env: env({ WATCHDOG_USEC: "10000000" }), run: fake.run, clock })!;
    n.startWatchdog();
    await n.ready();
    await new Promise((r) => setTimeout(r, 20)); // real time passes, the timer's does not
    expect(fake.calls.map((c) => c.args)).toEqual([["READY=1"]]);
  });

  it("a hung systemd-notify holds one keep-alive, never a pile of them", async () => {
    const clock = new VirtualClock();
    const hung = gate();
    const fake = fakeRunner(async () => {
      await hung.wait;
      return {};
    });
    const n = createNotifier({ env: env({ WATCHDOG_USEC: "2000000" }), run: fake.run, clock })!;
    n.startWatchdog();
    await clock.advance(10_000); // 10 ticks of 1 s
    expect(fake.calls).toHaveLength(1);
    hung.open();
    await n.flush();
    await clock.advance(1_000);
    expect(fake.calls).toHaveLength(2);
    n.stopWatchdog();
  });

  it("stopping() ends the keep-alives", async () => {
    const clock = new VirtualClock();
    const fake = fakeRunner();
    const n = createNotifier({ env: env({ WATCHDOG_USEC: "2000000" }), run: fake.run, clock })!;
    n.startWatchdog();
    await n.ready();
    await n.stopping();
    expect(clock.pending).toBe(0);
    await clock.advance(10_000);
    expect(fake.calls.map((c) => c.args[0])).toEqual(["READY=1", "STOPPING=1"]);
  });
});
