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
