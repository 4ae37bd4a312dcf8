// Killed for memory, on real podman: `getContainerStatus` says `oomKilled` for
// a container the kernel killed past its `--memory` (podman 5 says so itself;
// Debian 12's podman 4.3 does not, and the kernel log answers), and not for
// one SIGKILLed by `podman kill`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPodmanStore,
  podmanAvailability,
  waitFor,
  type PodmanStore,
} from "@archy/test-utils";
import { PodmanRuntime, type ContainerSpec } from "../src/index.js";

const podman = podmanAvailability();

describe.skipIf(podman.skipReason !== null)(
  `oomKilled against real podman ${podman.version ?? ""} ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let rt: PodmanRuntime;
    beforeAll(async () => {
      store = await createPodmanStore();
      rt = new PodmanRuntime({ globalArgs: store.globalArgs, env: store.env, timeoutMs: 60_000 });
    });
    afterAll(async () => {
      await store?.cleanup();
    });
    const limited = (name: string, command: string[]): ContainerSpec => ({
      name,
      image: store.image,
      command,
      labels: store.labels,
      resources: { memoryBytes: 32 * 1024 ** 2, pids: 50 },
    });
    const exited = (name: string) =>
      waitFor(async () => (await rt.getContainerStatus(name))?.state === "exited", {
        timeoutMs: 20_000,
        what: `${name} exited`,
      });

    it("past its limit: exit 137 and oomKilled", async () => {
      await rt.runContainer(
        limited("oom-hog", ["sh", "-c", "x=aaaaaaaa; while true; do x=$x$x; done"]),
      );
      await exited("oom-hog");
      expect(await rt.getContainerStatus("oom-hog")).toMatchObject({
        exitCode: 137,
        oomKilled: true,
      });
    });

    it("podman kill -s KILL: exit 137, not oomKilled", async () => {
      await rt.runContainer(limited("oom-calm", ["sleep", "300"]));
      await store.podman(["kill", "--signal", "KILL", "oom-calm"]);
      await exited("oom-calm");
      expect(await rt.getContainerStatus("oom-calm")).toMatchObject({
        exitCode: 137,
        oomKilled: false,
      });
    });
  },
);
