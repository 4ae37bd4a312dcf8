// The daemon kill -9 torture as a benchmark: `rounds` rounds of random owner
// and world actions, each ended by a kill of the daemon and a new one (see
// packages/cli/test/chaos/). Prints the rounds, the invariant violations
// (must be 0), p50/p95 of the time from a new daemon's start to converged,
// and the containers recreated needlessly. Used by bench/chaos.ts; runs alone:
//   flock /tmp/archy-podman.lock bash scripts/pnpm.sh exec tsx bench/chaos-torture.ts [rounds] [seed]
// ARCHY_CHAOS_BUSY=1 keeps one CPU busy with another process meanwhile.
import { formatViolation, runTorture } from "../packages/cli/test/chaos/index.js";

export interface TortureFigures {
  rounds: number;
  violations: number;
  convergeMs: number[];
  needlessRecreates: number;
}

export async function torture(opts: { rounds: number; seed?: number }): Promise<TortureFigures> {
  // Interrupted: the round in flight ends, the stack is cleaned up, the rounds so far are reported.
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once("SIGINT", stop).once("SIGTERM", stop);
  const r = await runTorture({
    rounds: opts.rounds,
    signal: ac.signal,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    busyCpu: process.env.ARCHY_CHAOS_BUSY === "1",
    log: (line) => process.stderr.write(`chaos-torture: ${line}\n`),
  });
  process.off("SIGINT", stop).off("SIGTERM", stop);
  for (const v of r.violations) process.stderr.write(`chaos-torture: ${formatViolation(v)}\n`);
  process.stderr.write(`chaos-torture: seed ${r.seed}\n`);
  return {
    rounds: r.rounds,
    violations: r.violations.length,
    convergeMs: r.convergeMs,
    needlessRecreates: r.needlessRecreates,
  };
}

/** The value below which `p` of the sorted figures lie (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.argv[2] ?? 200);
  const seed = process.argv[3] !== undefined ? Number(process.argv[3]) : undefined;
  const f = await torture({ rounds, ...(seed !== undefined ? { seed } : {}) });
  console.log(`rounds              ${f.rounds}`);
  console.log(`violations          ${f.violations}`);
  console.log(`converge p50        ${Math.round(percentile(f.convergeMs, 0.5))} ms`);
  console.log(`converge p95        ${Math.round(percentile(f.convergeMs, 0.95))} ms`);
  console.log(`needless recreates  ${f.needlessRecreates}`);
  process.exitCode = f.violations === 0 ? 0 : 1;
}
