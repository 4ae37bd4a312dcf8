import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPodmanStore, podmanAvailability, type PodmanStore } from "../src/index.js";

const podman = podmanAvailability();

describe.skipIf(podman.skipReason !== null)(
  `real podman smoke test ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    beforeAll(async () => {
      store = await createPodmanStore();
    });
    afterAll(async () => {
      await store?.cleanup();
    });

    it("runs a container from the locally built busybox image and reads its output", async () => {
      const labels = Object.entries(store.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
      const run = await store.podman([
        "run",
        "--rm",
        ...labels,
        store.image,
        "echo",
        "hello from podman",
      ]);
      expect(run.stdout).toBe("hello from podman");
    });

    it("the store is isolated: its own network and an empty container list", async () => {
      const net = await store.podman(["network", "inspect", "podman"]);
      const [info] = JSON.parse(net.stdout) as {
        network_interface: string;
        subnets: { subnet: string }[];
      }[];
      expect(info?.network_interface).toMatch(/^archyt\d+$/);
      expect(info?.subnets[0]?.subnet).toMatch(/^10\.90\.\d+\.0\/24$/);
      const ps = await store.podman(["ps", "-a", "--format", "json"]);
      expect(JSON.parse(ps.stdout || "[]")).toEqual([]);
    });
  },
);
