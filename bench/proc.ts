import { readFileSync } from "node:fs";
import { descendants as processTree } from "@archy/test-utils";

const TICKS = 100; // USER_HZ on Linux

/** utime+stime(+cutime+cstime) of a process (seconds); cutime/cstime hold its reaped children. */
export function cpuOf(pid: number, withChildren: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    // after the name: field 3 is index 0; utime=14, stime=15, cutime=16, cstime=17
    return ((f[11] ?? 0) + (f[12] ?? 0) + (withChildren ? (f[13] ?? 0) + (f[14] ?? 0) : 0)) / TICKS;
  } catch {
    return 0;
  }
}

/**
 * The live descendants of a process (a daemon's `podman events` child and
 * whatever else). A process that ends while /proc is read can fail the read
 * with ESRCH, which test-utils' reader does not expect: the tree is read again.
 */
export function descendants(pid: number): number[] {
  for (let attempt = 1; ; attempt++) {
    try {
      return processTree(pid).map((d) => d.pid);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH" || attempt >= 5) throw error;
    }
  }
}

/** CPU seconds used so far by a process with its reaped children, and by its live descendants. */
export function processCpu(pid: number): { self: number; live: number } {
  return {
    self: cpuOf(pid, true),
    live: descendants(pid).reduce((sum, d) => sum + cpuOf(d, false), 0),
  };
}

/** Both together. */
export function treeCpu(pid: number): number {
  const { self, live } = processCpu(pid);
  return self + live;
}

/**
 * Context switches of a process's main thread (its event loop) so far: each
 * wake-up of the loop is one, so a new timer shows here long before it shows
 * in CPU time.
 */
export function wakeups(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const n = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
    return n("voluntary_ctxt_switches") + n("nonvoluntary_ctxt_switches");
  } catch {
    return 0;
  }
}

/** One idle window of a process: % of a core, alone and with its tree, and its loop's wake-ups per second. */
export interface IdleWindow {
  own: number;
  tree: number;
  wakeups: number;
}

/** Measures `pid` over `seconds` (after `settleSeconds` of rest). */
export async function idleWindow(
  pid: number,
  seconds: number,
  settleSeconds: number,
): Promise<IdleWindow> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(settleSeconds * 1000);
  const own0 = cpuOf(pid, false);
  const t0cpu = processCpu(pid);
  const wake0 = wakeups(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const own1 = cpuOf(pid, false);
  const t1cpu = processCpu(pid);
  const wake1 = wakeups(pid);
  const wall = (performance.now() - t0) / 1000;
  return {
    own: (100 * (own1 - own0)) / wall,
    tree: (100 * (t1cpu.self + t1cpu.live - t0cpu.self - t0cpu.live)) / wall,
    wakeups: (wake1 - wake0) / wall,
  };
}
