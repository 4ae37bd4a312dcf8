import { readFileSync } from "node:fs";

/**
 * Process facts read from /proc. Everything returns null where /proc is not
 * available (macOS, BSD): the marker then falls back to a liveness check by
 * signal 0 alone, which cannot tell a recycled PID.
 */

/** The start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat). */
export function processStartTime(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
  const afterName = stat.slice(stat.lastIndexOf(")") + 2);
  const fields = afterName.split(" ");
  // afterName starts at field 3 (state), so field 22 is index 19.
  return fields[19] ?? null;
}

/** The kernel's boot id: it changes on every boot. */
export function currentBootId(): string | null {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || null;
  } catch {
    return null;
  }
}

/**
 * Whether a live process has this PID (it may belong to another user). A
 * zombie (killed, not yet reaped by its parent) still answers signal 0 and
 * keeps its /proc entry, but it is dead: state Z or X in /proc/<pid>/stat.
 */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X";
  } catch {
    return false;
  }
}
