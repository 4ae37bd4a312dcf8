// Issue 10 part 2, "a podman that fails", for minutes instead of the
// integration test's 40 s: the archy daemon on an isolated store runs its
// apps through a podman that fails a share of its calls (exit 125, hangs past
// archy's timeout, truncated or garbage JSON, `podman events` dying or
// stalling), a client hammers its API and apps are killed now and then; then
// faults stop. The scenario is @archy/test-utils' runFaultsScenario, the
// same one packages/cli/test/faulty-podman.int.test.ts runs.
//
// Alone: `flock /tmp/archy-podman.lock bash scripts/pnpm.sh exec tsx
// bench/chaos-faults.ts [seconds] [share] [seed]` (default 300 s, 0.3, 1),
// after a build (it runs packages/cli/bin/archy.js).
import { fileURLToPath } from "node:url";
import { runFaultsScenario } from "@archy/test-utils";
import { report } from "./lib.js";

export interface FaultsFigures {
  requests: number;
  worstApiMs: number;
  needlessRecreates: number;
  convergeMs: number;
  daemonExits: number;
}

const bin = fileURLToPath(new URL("../packages/cli/bin/archy.js", import.meta.url));
const progress = (line: string) => process.stderr.write(`chaos-faults: ${line}\n`);

/** Runs the scenario for `seconds` under faults and returns its figures (and prints them). */
export async function faults(opts: {
  seconds: number;
  share?: number;
  seed?: number;
}): Promise<FaultsFigures> {
  const r = await runFaultsScenario({
    archyBin: bin,
    faultSeconds: opts.seconds,
    share: opts.share ?? 0.3,
    seed: opts.seed ?? 1,
    progress,
    // ARCHY_FAULTS_LOGS=DIR keeps the daemon's log and every podman call for a look.
    ...(process.env.ARCHY_FAULTS_LOGS ? { keepLogsIn: process.env.ARCHY_FAULTS_LOGS } : {}),
  });
  const rows: [string, string][] = [
    ["under faults", `${opts.seconds} s at ${(opts.share ?? 0.3) * 100} %, seed ${opts.seed ?? 1}`],
    [
      "podman calls (faults)",
      `${r.calls} (${Object.entries(r.faults)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ")})`,
    ],
    ["apps killed", String(r.kills)],
    [
      "API requests answered",
      `${r.requests} (unanswered ${r.unanswered}, over 1 s ${r.slowRequests})`,
    ],
    ["worst API latency", `${r.worstApiMs} ms`],
    [
      "needless recreates",
      `${r.needlessRecreates}${r.recreated.length ? ` (${r.recreated.join(", ")})` : ""}`,
    ],
    ["snapshots read (lost apps)", `${r.snapshots} (${r.snapshotLosses.length})`],
    [
      "time to converge",
      r.convergeMs < 0
        ? "never"
        : `${(r.convergeMs / 1000).toFixed(2)} s from faults off, ${(r.convergeAfterSickMs / 1000).toFixed(2)} s from the last fault's end (interval ${r.intervalMs / 1000} s)`,
    ],
    ["after: kill to phase change", r.killNoticedMs.map((ms) => `${ms} ms`).join(", ")],
    ["after: kill to running again", r.killRestartedMs.map((ms) => `${ms} ms`).join(", ")],
    ["daemon exits", String(r.daemonExits)],
  ];
  report("a podman that fails", rows);
  for (const loss of r.snapshotLosses) console.log(`  lost: ${loss}`);
  return {
    requests: r.requests,
    worstApiMs: r.worstApiMs,
    needlessRecreates: r.needlessRecreates,
    convergeMs: r.convergeMs,
    daemonExits: r.daemonExits,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [seconds, share, seed] = process.argv.slice(2).map(Number);
  await faults({
    seconds: seconds || 300,
    ...(share ? { share } : {}),
    ...(seed ? { seed } : {}),
  });
}
