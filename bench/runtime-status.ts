// Status of 30 containers: PodmanRuntime.listContainers (one `podman ps -a
// --format json`) against the naive loop of one `podman inspect` per
// container, in the same run on the same isolated store.
import { execa } from "execa";
import { PodmanRuntime } from "@archy/runtime-podman";
import { createPodmanStore } from "@archy/test-utils";
import { median, report } from "./lib.js";

const N = 30;
const RUNS = 5;

export async function benchRuntimeStatus(): Promise<void> {
  const store = await createPodmanStore();
  try {
    for (let i = 0; i < N; i++) {
      await store.podman([
        "run",
        "-d",
        "--name",
        `bench-${i}`,
        "--label",
        "io.archy.app=bench",
        store.image,
        "sleep",
        "600",
      ]);
    }
    const rt = new PodmanRuntime({ globalArgs: store.globalArgs, env: store.env });
    const names = Array.from({ length: N }, (_, i) => `bench-${i}`);
    const archy = await median(RUNS, async () => {
      const list = await rt.listContainers({ labels: { "io.archy.app": "bench" } });
      if (list.length !== N) throw new Error(`expected ${N}, got ${list.length}`);
    });
    const naive = await median(RUNS, async () => {
      for (const name of names)
        await execa("podman", [...store.globalArgs, "inspect", name], { env: store.env });
    });
    report(`status of ${N} containers (median of ${RUNS})`, [
      ["archy listContainers (1 podman process)", `${archy.toFixed(0)} ms`],
      [`naive podman inspect loop (${N} processes)`, `${naive.toFixed(0)} ms`],
      ["ratio naive / archy", `${(naive / archy).toFixed(1)}x`],
    ]);
  } finally {
    await store.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchRuntimeStatus();
