// archy under attack, the long versions of the suites CI runs short
// (issue 10): the bad-manifest corpus through the real loader, the crash
// states a power cut can leave in every durable write, 200 rounds of the daemon kill -9 torture, and 5 minutes of a podman that
// fails 30 % of its calls. Each part prints its own details on the way; the
// figures end in one table. Exits 1 when any invariant was violated.
//
//   bash scripts/pnpm.sh exec turbo run build
//   flock /tmp/archy-podman.lock bash scripts/pnpm.sh exec tsx bench/chaos.ts [rounds] [fault-seconds]
//
// About 30 minutes with the defaults (200 rounds, 300 s of faults).
import { badManifestCorpus } from "./chaos-corpus.js";
import { countCrashStates } from "./chaos-powerloss.js";
import { faults } from "./chaos-faults.js";
import { percentile, torture } from "./chaos-torture.js";
import { report } from "./lib.js";

const rounds = Number(process.argv[2] ?? 200);
const faultSeconds = Number(process.argv[3] ?? 300);

const corpus = await badManifestCorpus();
const power = await countCrashStates();
const kill9 = await torture({ rounds });
const failing = await faults({ seconds: faultSeconds, share: 0.3 });

const ms = (n: number) => `${Math.round(n)} ms`;
report("archy under attack (bench/chaos.ts)", [
  ["bad manifests: inputs (each its exact error)", String(corpus.inputs)],
  ["bad manifests: failures", String(corpus.failures)],
  ["bad manifests: slowest load", ms(corpus.slowestMs)],
  ["power loss: write paths", String(power.paths)],
  ["power loss: crash states checked", String(power.states)],
  ["power loss: violations", String(power.violations)],
  ["kill -9: rounds", String(kill9.rounds)],
  ["kill -9: invariant violations", String(kill9.violations)],
  ["kill -9: daemon start to converged, p50", ms(percentile(kill9.convergeMs, 0.5))],
  ["kill -9: daemon start to converged, p95", ms(percentile(kill9.convergeMs, 0.95))],
  ["kill -9: containers recreated needlessly", String(kill9.needlessRecreates)],
  [`failing podman: ${faultSeconds} s at 30 %, API requests answered`, String(failing.requests)],
  ["failing podman: worst API latency", ms(failing.worstApiMs)],
  ["failing podman: containers recreated needlessly", String(failing.needlessRecreates)],
  [
    "failing podman: faults off to converged",
    failing.convergeMs < 0 ? "never" : ms(failing.convergeMs),
  ],
  ["failing podman: daemon exits", String(failing.daemonExits)],
]);

const broken =
  corpus.failures +
  power.violations +
  kill9.violations +
  failing.daemonExits +
  failing.needlessRecreates +
  (failing.convergeMs < 0 ? 1 : 0);
if (broken > 0) process.exitCode = 1;
