import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PodmanRuntime } from "@archy/runtime-podman";
import { createPodmanStore, podmanAvailability, type PodmanStore } from "@archy/test-utils";
import { recoverAfterCrash, type SnapshotState } from "../src/index.js";

const podman = podmanAvailability();

describe.skipIf(podman.skipReason !== null)(
  `recovery against real podman ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    beforeAll(async () => {
      store = await createPodmanStore();
    });
    afterAll(async () => {
      await store?.cleanup();
    });

    it("starts the stopped containers of the snapshot in `concurrency` podman starts side by side; a vanished one fails alone", async () => {
      const names = ["r0", "r1", "r2", "r3", "r4", "r5"];
      for (const name of names)
        await store.podman([
          "run",
          "-d",
          "--name",
          name,
          ...Object.entries(store.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
          store.image,
          "sh",
          "-c",
          "trap 'exit 0' TERM; sleep 600 & wait",
        ]);
      const snapshot: SnapshotState = {
        apps: [],
        containers: [...names, "gone"].map((name) => ({
          name,
          id: `id-${name}`,
          image: store.image,
          state: "running",
          app: null,
        })),
      };
      // A reboot: every container stopped; one was removed meanwhile.
      await store.podman(["stop", "--all", "--time", "1"]);
      await store.podman(["create", "--name", "gone", store.image, "true"]);
      await store.podman(["rm", "gone"]);

      const starts: string[][] = [];
      const runtime = new PodmanRuntime({
        globalArgs: store.globalArgs,
        env: store.env,
        onCall: ({ argv }) => {
          if (argv[0] === "start") starts.push(argv.slice(2));
        },
      });
      const report = await recoverAfterCrash({ runtime, snapshot, desired: {}, concurrency: 3 });

      expect(report.recovered).toEqual(names);
      expect(report.failed).toEqual([{ name: "gone", error: "the container no longer exists" }]);
      // Three batches of two (round-robin), one podman start each, in whatever order they ended.
      expect(starts.map((s) => [...s].sort()).sort()).toEqual([
        ["r0", "r3"],
        ["r1", "r4"],
        ["r2", "r5"],
      ]);
      const ps = await store.podman(["ps", "--format", "{{.Names}}"]);
      expect(ps.stdout.split("\n").filter(Boolean).sort()).toEqual(names);
    });
  },
);
