// `stats()` against real podman (4.3 here, 5 in the Debian 13 root): one
// process, numbers for each running container, its memory limit when it has one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPodmanStore, podmanAvailability, type PodmanStore } from "@archy/test-utils";
import { PodmanRuntime } from "../src/index.js";

const podman = podmanAvailability();

describe.skipIf(podman.skipReason !== null)(
  `stats against real podman ${podman.version ?? ""} ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let rt: PodmanRuntime;
    beforeAll(async () => {
      store = await createPodmanStore();
      rt = new PodmanRuntime({ globalArgs: store.globalArgs, env: store.env, timeoutMs: 60_000 });
      const run = (name: string, resources?: { memoryBytes: number }) =>
        rt.runContainer({
          name,
          image: store.image,
          command: ["sleep", "300"],
          labels: store.labels,
          ...(resources ? { resources } : {}),
        });
      await run("st-limited", { memoryBytes: 64 * 1024 ** 2 });
      await run("st-free");
      await rt.createContainer({
        name: "st-created",
        image: store.image,
        command: ["sleep", "300"],
        labels: store.labels,
      });
    });
    afterAll(async () => {
      await store?.cleanup();
    });

    it("the running containers, with CPU time, memory and the limit", async () => {
      const usage = await rt.stats();
      const byName = Object.fromEntries(usage.map((u) => [u.name, u]));
      expect(Object.keys(byName).sort()).toEqual(["st-free", "st-limited"]);
      expect(byName["st-limited"]).toMatchObject({ memoryLimitBytes: 64 * 1024 ** 2 });
      for (const u of usage) {
        expect(u.id).toMatch(/^[0-9a-f]{12}$/);
        expect(u.cpuNanos).toBeGreaterThan(0);
        expect(u.memoryBytes).toBeGreaterThan(0);
        expect(u.memoryBytes).toBeLessThan(u.memoryLimitBytes);
      }
      expect(byName["st-free"]!.memoryLimitBytes).toBeGreaterThan(64 * 1024 ** 2);
    });
  },
);
