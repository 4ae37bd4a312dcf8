// Runs archy's reconcile loop with health checks on the given manifests until
// killed: the process whose idle CPU bench/reconciler.ts measures. Plain
// JavaScript on the built packages, as the archy daemon runs.
import { PodmanRuntime } from "@archy/runtime-podman";
import { ReconcileLoop, Reconciler } from "@archy/reconciler";

const [manifestsDir, stateDir, globalArgs] = process.argv.slice(2);
const runtime = new PodmanRuntime({
  globalArgs: globalArgs.split(" "),
  env: { CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? "" },
});
const reconciler = new Reconciler({ runtime, manifestsDir, stateDir });
const ac = new AbortController();
process.on("SIGTERM", () => ac.abort());
let passes = 0;
await new ReconcileLoop({
  reconciler,
  intervalMs: Number(process.env.ARCHY_BENCH_INTERVAL_MS ?? 30_000),
  signal: ac.signal,
  ...(process.env.ARCHY_BENCH_NO_EVENTS ? {} : { events: (signal) => runtime.events({ signal }) }),
  healthChecks: !process.env.ARCHY_BENCH_NO_CHECKS,
  onPass: () => {
    passes++;
    if (passes === 1) process.stdout.write("ready\n");
  },
}).run();
