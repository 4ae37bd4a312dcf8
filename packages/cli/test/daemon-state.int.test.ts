// End-to-end, the built `archy` binary against real podman on an isolated
// store: the owner's intents and archy's own state files while a daemon runs
// (resurrect through the daemon, a corrupt desired.json, podman missing).
// One scenario in order, each test starting where the last left off.
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPodmanStore,
  podmanAvailability,
  tempDir,
  waitFor,
  type PodmanStore,
} from "@archy/test-utils";
import { archyHarness, containerState } from "./harness.js";

const podman = podmanAvailability();

interface AppJson {
  id: string;
  desired: string;
  phase: string;
  stopReason: string | null;
}

describe.skipIf(podman.skipReason !== null)(
  `archy state with a daemon ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let work: { path: string; remove: () => Promise<void> };
    let env: Record<string, string>;
    const stateDir = () => env.ARCHY_STATE_DIR!;

    const { archy, startDaemon, stopDaemon } = archyHarness(() => env);
    const ok = async (args: string[]) => {
      const r = await archy(args);
      expect(r.exitCode, `archy ${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(0);
      return r;
    };
    const app = async (id: string) => {
      const r = await archy(["status", id, "--json"]);
      expect(r.exitCode, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { app: AppJson }).app;
    };
    const podmanState = (name: string) => containerState(store, name);
    const manifest = (id: string) =>
      [
        "app:",
        `  id: ${id}`,
        `  name: ${id}`,
        '  version: "1"',
        "  container:",
        `    image: ${store.image}`,
        '    command: ["sleep", "3600"]',
        "    stop_timeout: 1s",
        "",
      ].join("\n");

    beforeAll(async () => {
      store = await createPodmanStore();
      work = await tempDir("archy-state-e2e-");
      const apps = join(work.path, "apps");
      await mkdir(apps);
      for (const id of ["alpha", "beta"]) await writeFile(join(apps, `${id}.yaml`), manifest(id));
      env = {
        ...(process.env as Record<string, string>),
        ...store.archyEnv,
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: apps,
        NO_COLOR: "1",
      };
      await startDaemon();
    }, 300_000);
    afterAll(async () => {
      await stopDaemon();
      await store?.cleanup();
      await work?.remove();
    });

    it("resurrect while a daemon runs: the daemon follows the restored intents now, in its next passes and after a restart", async () => {
      await waitFor(async () => (await podmanState("archy-beta")) === "running", {
        timeoutMs: 30_000,
        what: "beta running",
      });
      await ok(["stop", "beta"]);
      const snapshot = join(work.path, "owner-stopped-beta.json");
      await ok(["snapshot", "save", snapshot]);
      await ok(["start", "beta"]);
      expect(await app("beta")).toMatchObject({ desired: "running", phase: "running" });

      const resurrect = await archy(["resurrect", snapshot, "--json"]);
      expect(resurrect.exitCode, resurrect.stderr).toBe(0);
      const result = JSON.parse(resurrect.stdout) as {
        manifests: { restored: string[]; unchanged: string[] };
      };
      expect(result.manifests).toEqual({ restored: [], unchanged: ["alpha", "beta"] });
      expect(await app("beta")).toMatchObject({
        desired: "stopped",
        phase: "stopped",
        stopReason: "user",
      });
      expect(await podmanState("archy-beta")).toBe("exited");

      // The daemon's next pass keeps it stopped.
      await ok(["up"]);
      expect(await podmanState("archy-beta")).toBe("exited");

      // A second resurrect changes nothing.
      const again = JSON.parse((await archy(["resurrect", snapshot, "--json"])).stdout) as {
        report: { actions: unknown[] };
      };
      expect(again.report.actions).toEqual([]);

      // The intent survives a daemon restart.
      await stopDaemon();
      await startDaemon();
      expect(await app("beta")).toMatchObject({ desired: "stopped", phase: "stopped" });
      expect(await app("alpha")).toMatchObject({ desired: "running", phase: "running" });
      expect(await podmanState("archy-beta")).toBe("exited");
    });

    it("a corrupt desired.json is kept aside and reported by the log, archy status and archy doctor", async () => {
      await stopDaemon();
      await writeFile(join(stateDir(), "desired.json"), "{ torn");
      await writeFile(join(stateDir(), "desired.json.bak"), "{ torn too");
      await startDaemon();
      expect((await readdir(stateDir())).some((f) => f.startsWith("desired.json.corrupt-"))).toBe(
        true,
      );
      const status = await archy(["status"]);
      expect(status.exitCode, status.stderr).toBe(0);
      expect(status.stderr).toMatch(
        /warning: desired\.json was corrupt and is kept aside as .*desired\.json\.corrupt-/,
      );
      const json = JSON.parse((await archy(["status", "--json"])).stdout) as { notices: string[] };
      expect(json.notices.join("\n")).toMatch(/there was no good backup/);
      const log = await readFile(join(stateDir(), "log", "archy.log"), "utf8");
      expect(log).toMatch(/desired\.json was corrupt/);
      const doctor = await archy(["doctor"]);
      expect(doctor.stdout).toMatch(/desired\.json\.corrupt-/);
    });

    it("ARCHY_PODMAN=/nonexistent archy up exits 4, as archy ps does", async () => {
      await stopDaemon();
      const up = await archy(["up"], { ARCHY_PODMAN: "/nonexistent" });
      expect(up.exitCode, up.stderr).toBe(4);
      expect(up.stderr).toMatch(/podman/);
    });
  },
);
