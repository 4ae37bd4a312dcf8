// Whether the kernel killed a container for memory. podman records it
// (`State.OOMKilled`) when its conmon saw the cgroup's OOM event; some
// conmons do not (Debian 12's podman 4.3 on cgroup v1 reports false for a
// container the kernel plainly killed). The kernel's own log says it in any
// case, naming the container's cgroup:
//   oom-kill:constraint=CONSTRAINT_MEMCG,…,oom_memcg=/libpod_parent/libpod-<id>,task_memcg=/libpod_parent/libpod-<id>,task=sh,pid=…
// Read from /dev/kmsg, without blocking, only when a container ended by
// SIGKILL. Unreadable (rootless under dmesg_restrict, a container without
// /dev/kmsg): no answer, and podman's word stands.
import { closeSync, constants, openSync, readFileSync, readSync } from "node:fs";
import type { ContainerStatus } from "./types.js";

/** One kmsg record: `prio,seq,usec,flags;message`. */
const RECORD = /^\d+,\d+,(\d+),[^;]*;(.*)$/;
const OOM_KILL = /^oom-kill:.*\b(?:task_memcg|oom_memcg)=\S*libpod-([0-9a-f]{64})/;

/** When the machine booted, in ms since the epoch (kmsg times count from it). */
function bootTimeMs(now: number): number {
  const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  return now - uptime * 1000;
}

/**
 * The OOM kills in the kernel log: container id → when (ms since the epoch),
 * the last one of each; null when the log cannot be read.
 */
export function kernelOomKills(path = "/dev/kmsg", now = Date.now()): Map<string, number> | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  const kills = new Map<string, number>();
  const boot = bootTimeMs(now);
  const buf = Buffer.alloc(8192);
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EPIPE") continue; // records overwritten while reading: go on
        break; // EAGAIN: the end of the log
      }
      if (n === 0) break;
      // /dev/kmsg gives one record per read; a copy of it in a file, many.
      for (const line of buf.toString("utf8", 0, n).split("\n")) {
        const record = RECORD.exec(line);
        const kill = record && OOM_KILL.exec(record[2]!);
        if (kill) kills.set(kill[1]!, boot + Number(record[1]) / 1000);
      }
    }
  } finally {
    closeSync(fd);
  }
  return kills;
}

/**
 * Whether the kernel log has an OOM kill of container `id` at or after
 * `startedAt` (ISO; one second's slack for the two clocks); null when the
 * log cannot be read.
 */
export function killedForMemory(
  id: string,
  startedAt: string | null,
  kills = kernelOomKills(),
): boolean | null {
  if (kills === null) return null;
  const at = kills.get(id);
  if (at === undefined) return false;
  return startedAt === null || at >= Date.parse(startedAt) - 1_000;
}

/**
 * Inspected statuses, with `oomKilled` set from the kernel log where podman
 * said no to a container that ended by SIGKILL (exit code 137). The log is
 * read once, and only when there is such a container.
 */
export function withKernelOom(
  statuses: ContainerStatus[],
  kills: () => Map<string, number> | null = kernelOomKills,
): ContainerStatus[] {
  const suspects = statuses.filter((s) => s.oomKilled === false && s.exitCode === 137);
  if (suspects.length === 0) return statuses;
  const log = kills();
  for (const s of suspects) if (killedForMemory(s.id, s.startedAt, log)) s.oomKilled = true;
  return statuses;
}
