// Kills for bench/scale.ts: the restart after `kill -9` of an app's main
// process (timed by polling podman's inspect, as bench/speed.ts does), and the
// missed-restart check: many kills in a row, each restart timed by podman's own
// `start` event (its time is podman's, in nanoseconds on 4.3 and 5).
import { PodmanRuntime, type ContainerEvent } from "@archy/runtime-podman";
import type { Fleet } from "./scale-fleet.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stateOf(fleet: Fleet, name: string): Promise<{ running: boolean; pid: number }> {
  const r = await fleet
    .podman(["inspect", "--format", "{{.State.Running}} {{.State.Pid}}", name])
    .catch(() => ({ stdout: "false 0" }));
  const [running, pid] = r.stdout.trim().split(" ");
  return { running: running === "true", pid: Number(pid ?? 0) };
}

/** Time from `kill -9` of the main process to podman reporting it running with a new PID. */
export async function killAndWait(fleet: Fleet, name: string, timeoutMs: number): Promise<number> {
  const before = await stateOf(fleet, name);
  if (!before.running || before.pid <= 0) throw new Error(`${name} is not running`);
  const t0 = performance.now();
  process.kill(before.pid, "SIGKILL");
  while (performance.now() - t0 < timeoutMs) {
    const now = await stateOf(fleet, name);
    if (now.running && now.pid > 0 && now.pid !== before.pid) return performance.now() - t0;
  }
  return Number.POSITIVE_INFINITY;
}

export interface KillRun {
  /** Restart time of each kill in ms (Infinity: not restarted within the wait). */
  restarts: number[];
  /** Kills skipped because the app was not running when its turn came. */
  notRunning: number;
}

/**
 * `kills` kills `spacingMs` apart, round-robin over the fleet's apps,
 * alternating `podman kill` and `kill -9` of the main process; each restart
 * is the time from the kill to the container's next `start` event.
 */
export async function killRoundRobin(
  fleet: Fleet,
  opts: {
    kills: number;
    spacingMs: number;
    waitMs: number;
    progress: (line: string) => void;
  },
): Promise<KillRun> {
  const runtime = new PodmanRuntime({ globalArgs: fleet.store.globalArgs, env: fleet.store.env });
  const ac = new AbortController();
  const starts = new Map<string, number[]>(fleet.names.map((n) => [n, []]));
  const reading = (async () => {
    for await (const e of runtime.events({ signal: ac.signal }) as AsyncIterable<ContainerEvent>) {
      if (e.status === "start") starts.get(e.name)?.push(Date.parse(e.time));
    }
  })().catch(() => undefined);
  // podman events reports only what happens after it started: a second for it to attach.
  await sleep(1_000);

  const killed: { name: string; at: number }[] = [];
  let notRunning = 0;
  const t0 = performance.now();
  for (let i = 0; i < opts.kills; i++) {
    const due = t0 + i * opts.spacingMs;
    if (performance.now() < due) await sleep(due - performance.now());
    const name = fleet.names[i % fleet.size]!;
    if (i % 2 === 0) {
      const at = Date.now();
      const r = await fleet.podman(["kill", name]).catch((e: Error) => e);
      if (r instanceof Error) notRunning++;
      else killed.push({ name, at });
    } else {
      const s = await stateOf(fleet, name);
      if (!s.running || s.pid <= 0) {
        notRunning++;
        continue;
      }
      const at = Date.now();
      try {
        process.kill(s.pid, "SIGKILL");
        killed.push({ name, at });
      } catch {
        notRunning++;
      }
    }
    if ((i + 1) % 20 === 0) opts.progress(`  ${i + 1}/${opts.kills} kills`);
  }
  const restartOf = (k: { name: string; at: number }) => {
    const next = starts.get(k.name)!.find((t) => t > k.at);
    return next === undefined ? Number.POSITIVE_INFINITY : next - k.at;
  };
  // Until every kill has its restart, or the wait runs out.
  const deadline = Date.now() + opts.waitMs;
  while (Date.now() < deadline && killed.some((k) => !Number.isFinite(restartOf(k))))
    await sleep(250);
  ac.abort();
  await reading;
  return { restarts: killed.map(restartOf), notRunning };
}

/** The p-th percentile (0-100) by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
