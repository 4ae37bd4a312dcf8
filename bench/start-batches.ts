// Why recovery starts its containers in a few batches side by side: one
// `podman start` of N stopped containers (podman starts the names one after
// the other) against `width` `podman start` processes of N/width each, on an
// isolated store, interleaved, medians.
//
// bash scripts/pnpm.sh exec tsx bench/start-batches.ts [containers=60] [width=4] [runs=3]
import { createPodmanStore } from "@archy/test-utils";
import { APP_COMMAND, interleaved, medianOf } from "./lib.js";
import { freePorts } from "./scale-fleet.js";

const N = Number(process.argv[2] ?? 60);
const WIDTH = Number(process.argv[3] ?? 4);
const RUNS = Number(process.argv[4] ?? 3);
const store = await createPodmanStore();
try {
  const names = Array.from({ length: N }, (_, i) => `s${i}`);
  const ports = await freePorts(N);
  for (const [i, name] of names.entries())
    await store.podman([
      "create",
      "--name",
      name,
      "-p",
      `127.0.0.1:${ports[i]!}:8080`,
      store.image,
      ...APP_COMMAND,
    ]);
  const stopAll = () => store.podman(["stop", "--all", "--time", "1"], { timeoutMs: 300_000 });
  const start = (batch: string[]) => store.podman(["start", ...batch], { timeoutMs: 300_000 });
  const times = await interleaved(
    RUNS,
    [
      { name: "one", before: stopAll, run: () => start(names) },
      {
        name: "batches",
        before: stopAll,
        run: () =>
          Promise.all(
            Array.from({ length: WIDTH }, (_, b) => start(names.filter((_, i) => i % WIDTH === b))),
          ),
      },
    ],
    { progress: (l) => process.stderr.write(`${l}\n`) },
  );
  const one = medianOf(times.get("one")!);
  const batches = medianOf(times.get("batches")!);
  console.log(
    `${N} containers: one podman start ${(one / 1000).toFixed(2)} s, ${WIDTH} side by side ${(batches / 1000).toFixed(2)} s (${(batches / one).toFixed(2)}x), median of ${RUNS}`,
  );
} finally {
  await store.cleanup();
}
