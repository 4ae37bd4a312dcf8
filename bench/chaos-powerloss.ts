// Power loss, the ALICE way: every write path of a file archy must not lose
// (snapshot and .bak, desired.json, installed manifests, the crash marker) is
// run on @archy/durable-fs's RecordingFs, and every state a power cut after
// any of its operations can leave is loaded by the real loader: it must give
// the old content or the new, and the new once the write was acknowledged.
// Prints the write paths, the crash states checked and the violations (must
// be 0). Used by bench/chaos.ts; runs alone, no podman:
//   bash scripts/pnpm.sh exec tsx bench/chaos-powerloss.ts
// (after a build: the scenarios load @archy/durable-fs from its dist, and so
// does this file, so that both see one RecordingFs).
import { markerWritePaths } from "../packages/crash-marker/src/power-loss.scenarios.js";
import { checkWritePath, formatViolation } from "../packages/durable-fs/dist/testing.js";
import { reconcilerWritePaths } from "../packages/reconciler/src/power-loss.scenarios.js";
import { snapshotWritePaths } from "../packages/snapshot/src/power-loss.scenarios.js";
import { report } from "./lib.js";

export interface PowerLossFigures {
  /** Write paths checked. */
  paths: number;
  /** Crash points: the instants before and after each operation of each write. */
  points: number;
  /** Distinct crash states loaded, over all of them. */
  states: number;
  /** Crash states that loaded neither the old content nor the new (or the old once acknowledged). */
  violations: number;
  /** Per write path: its name and crash states. */
  perPath: { name: string; points: number; states: number; violations: number }[];
}

export async function countCrashStates(): Promise<PowerLossFigures> {
  const perPath: PowerLossFigures["perPath"] = [];
  for (const path of [...snapshotWritePaths(), ...markerWritePaths(), ...reconcilerWritePaths()]) {
    const r = await checkWritePath(path);
    for (const v of r.violations)
      process.stderr.write(`chaos-powerloss: ${formatViolation(r, v)}\n`);
    perPath.push({
      name: r.name,
      points: r.operations.length + 1,
      states: r.states,
      violations: r.violations.length,
    });
  }
  return {
    paths: perPath.length,
    points: perPath.reduce((n, p) => n + p.points, 0),
    states: perPath.reduce((n, p) => n + p.states, 0),
    violations: perPath.reduce((n, p) => n + p.violations, 0),
    perPath,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const f = await countCrashStates();
  report("power loss: crash states of every durable write (RecordingFs)", [
    ...f.perPath.map((p): [string, string] => [
      p.name,
      `${p.points} crash points, ${p.states} states, ${p.violations} violations`,
    ]),
    ["write paths", String(f.paths)],
    ["crash points", String(f.points)],
    ["crash states checked", String(f.states)],
    ["violations", String(f.violations)],
  ]);
  if (f.violations > 0) process.exitCode = 1;
}
