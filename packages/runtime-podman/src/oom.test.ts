// The kernel log's OOM kills: read from a copy of /dev/kmsg's records.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { kernelOomKills, killedForMemory, withKernelOom } from "./oom.js";
import type { ContainerStatus } from "./types.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const kill = (usec: number, id: string, memcg = `/libpod_parent/libpod-${id}`) =>
  `6,1201,${usec},-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=libpod-${id},mems_allowed=0,oom_memcg=${memcg},task_memcg=${memcg},task=sh,pid=29383,uid=0`;

describe("kernelOomKills", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "archy-kmsg-"))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("names each container the log says was killed, with when (the boot time plus its microseconds)", async () => {
    const file = join(dir, "kmsg");
    await writeFile(
      file,
      [
        "6,1200,46041043229,-; oom_kill_process.cold+0x8/0x8a",
        kill(46041043472, A),
        "3,1202,46041043492,-;Memory cgroup out of memory: Killed process 29383 (sh)",
        kill(46050000000, B, `/machine.slice/libpod-${B}.scope/container`),
        "",
      ].join("\n"),
    );
    const now = Date.now();
    const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    const kills = kernelOomKills(file, now)!;
    expect([...kills.keys()]).toEqual([A, B]);
    expect(Math.abs(kills.get(A)! - (now - uptime * 1000 + 46041043.472))).toBeLessThan(20);
  });

  it("an unreadable log is no answer (null), not a no", () => {
    expect(kernelOomKills(join(dir, "missing"))).toBeNull();
    expect(killedForMemory(A, null, null)).toBeNull();
  });

  it("a kill before the container's run started is an earlier run's", () => {
    const kills = new Map([[A, Date.parse("2026-12-01T10:00:00Z")]]);
    expect(killedForMemory(A, "2026-12-01T09:59:00Z", kills)).toBe(true);
    expect(killedForMemory(A, "2026-12-01T10:05:00Z", kills)).toBe(false);
    expect(killedForMemory(B, null, kills)).toBe(false);
  });

  it("withKernelOom reads the log only for a SIGKILLed container podman said no to", () => {
    let reads = 0;
    const log = () => (reads++, new Map([[A, Date.now()]]));
    const status = (id: string, exitCode: number, oomKilled?: boolean) =>
      ({
        id,
        exitCode,
        startedAt: null,
        ...(oomKilled === undefined ? {} : { oomKilled }),
      }) as ContainerStatus;
    expect(withKernelOom([status(A, 1, false), status(B, 137, true)], log)).toHaveLength(2);
    expect(reads).toBe(0);
    const [a] = withKernelOom([status(A, 137, false)], log);
    expect(a!.oomKilled).toBe(true);
    expect(reads).toBe(1);
  });
});
