// Resource limits on real podman (4.3 on this host, 5 in the Debian 13 root):
// the manifest's limits reach the container, and an app that allocates past
// its memory limit is killed by the kernel and shown with reason `oom`, by a
// daemon's died event and by a pass without one. (The booted box of the hosts
// issue has a cgroup2 without controllers: podman cannot enforce a limit there,
// so this runs where it can.)
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPodmanStore,
  podmanAvailability,
  tempDir,
  waitFor,
  type PodmanStore,
} from "@archy/test-utils";
import { archyHarness } from "./harness.js";

const podman = podmanAvailability();

const manifest = (id: string, container: string, app = "") => `app:
  id: ${id}
  name: ${id}
  version: "1"
  container:
    image: localhost/archy-test-busybox:latest
    stop_timeout: 1s
${container}${app}`;

describe.skipIf(podman.skipReason !== null)(
  `resource limits and OOM kills, podman ${podman.version ?? ""} ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let work: { path: string; remove: () => Promise<void> };
    let env: Record<string, string>;
    const h = archyHarness(() => env);
    const { archy } = h;
    const status = async (id: string) =>
      JSON.parse((await archy(["status", id, "--json"])).stdout).app as Record<string, unknown>;

    beforeAll(async () => {
      store = await createPodmanStore();
      work = await tempDir("archy-resources-");
      const apps = join(work.path, "apps");
      await mkdir(apps);
      env = {
        ...(process.env as Record<string, string>),
        ...store.archyEnv,
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: apps,
        NO_COLOR: "1",
      };
      await writeFile(
        join(apps, "calm.yaml"),
        manifest(
          "calm",
          `    command: ["sleep", "3600"]
    resources: { memory: 64m, memory_reservation: 32m, cpus: 0.5, pids: 100 }
`,
        ),
      );
      // Allocates past its limit two seconds after it started (a string doubled in the shell).
      await writeFile(
        join(apps, "hog.yaml"),
        manifest(
          "hog",
          `    command: ["sh", "-c", "sleep 2; x=aaaaaaaa; while true; do x=$x$x; done"]
    resources: { memory: 32m }
`,
          "  restart: { policy: no }\n",
        ),
      );
    }, 120_000);
    afterAll(async () => {
      await h.stopDaemon();
      await store?.cleanup();
      await work?.remove();
    });

    it("the limits reach podman: memory, its reservation, CPUs and processes", async () => {
      const up = await archy(["up"]);
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);
      const inspect = await store.podman([
        "inspect",
        "--format",
        "{{.HostConfig.Memory}} {{.HostConfig.MemoryReservation}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}",
        "archy-calm",
      ]);
      expect(inspect.stdout.trim()).toBe("67108864 33554432 500000000 100");
    }, 120_000);

    it("past its memory limit, found by a pass: reason oom, the limit in the reason", async () => {
      await waitFor(
        async () =>
          (
            await store.podman(["inspect", "--format", "{{.State.Status}}", "archy-hog"])
          ).stdout.trim() === "exited",
        { timeoutMs: 30_000, what: "the hog killed" },
      );
      const up = await archy(["up"]);
      expect(up.stdout + up.stderr).toMatch(
        /killed for memory \(OOM: over its 32 MiB limit\); restart policy is no/,
      );
      expect(await status("hog")).toMatchObject({ phase: "exited", stopReason: "oom" });
      const ps = await archy(["ps"]);
      expect(ps.stdout).toMatch(/^hog\s.*\boom\b/m);
    }, 120_000);

    it("past its memory limit, told by the daemon's died event: reason oom in the event stream", async () => {
      await h.startDaemon();
      const events = archy(["events"]);
      let seen = "";
      events.stdout?.on("data", (d: Buffer) => (seen += d.toString()));
      const start = await archy(["start", "hog"]);
      expect(start.exitCode, start.stderr + start.stdout).toBe(0);
      await waitFor(async () => /"app":"hog".*"stopReason":"oom"/.test(seen), {
        timeoutMs: 30_000,
        what: "an oom phase event for hog",
      });
      events.kill();
      expect(await status("hog")).toMatchObject({ stopReason: "oom" });
    }, 120_000);
  },
);
