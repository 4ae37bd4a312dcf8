// Runs archy's reconcile loop with health checks on the given manifests until
// killed: the process whose idle CPU bench/reconciler.ts measures.
import { PodmanRuntime } from "@archy/runtime-podman";
import { ReconcileLoop, Reconciler } from "@archy/reconciler";

const [manifestsDir, stateDir, globalArgs] = process.argv.slice(2) as [string, string, string];
const runtime = new PodmanRuntime({ globalArgs: globalArgs.split(" "), env: { CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? "" } });
const reconciler = new Reconciler({ runtime, manifestsDir, stateDir });
const ac = new AbortController();
process.on("SIGTERM", () => ac.abort());
let passes = 0;
await new ReconcileLoop({
  reconciler,
  intervalMs: 30_000,
  signal: ac.signal,
  ...(process.env.ARCHY_BENCH_NO_EVENTS ? {} : { events: (signal: AbortSignal) => runtime.events({ signal }) }),
  healthChecks: !process.env.ARCHY_BENCH_NO_CHECKS,
  onPass: () => {
    passes++;
    if (passes === 1) process.stdout.write("ready\n");
  },
}).run();
