import { readdirSync, readFileSync } from "node:fs";

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

/** The live descendants of a process (a daemon's `podman events` child and whatever else). */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent !== p) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
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
