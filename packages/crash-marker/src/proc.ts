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

/** Whether a process with this PID exists (it may belong to another user). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
