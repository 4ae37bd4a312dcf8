// End-to-end, the built `archy` binary on an isolated store: `archy stop|start|restart APP`
// exit 4 when podman is missing or does not answer (SPEC section 6), like ps and up, with
// a message naming podman. Without a daemon the CLI meets the missing podman itself;
// through the daemon, the daemon does, and its API carries the error's code
// (`lastErrorCode`) to the CLI.
import { access, constants, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
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
const OPS = ["stop", "start", "restart"] as const;

/** The podman binary on PATH, as archy would run it. */
async function podmanOnPath(): Promise<string> {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const file = join(dir, "podman");
    if (
      await access(file, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  throw new Error("no podman on PATH");
}

describe.skipIf(podman.skipReason !== null)(
  `archy stop|start|restart with podman missing ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let work: { path: string; remove: () => Promise<void> };
    let env: Record<string, string>;
    /** The daemon's podman: a link to the real one, removed to take podman away from it. */
    let podmanLink: string;
    const { archy, startDaemon, stopDaemon } = archyHarness(() => env);

    beforeAll(async () => {
      store = await createPodmanStore();
      work = await tempDir("archy-lifecycle-podman-");
      const apps = join(work.path, "apps");
      await mkdir(apps);
      await writeFile(
        join(apps, "web.yaml"),
        [
          "app:",
          "  id: web",
          "  name: Web",
          '  version: "1"',
          "  container:",
          `    image: ${store.image}`,
          '    command: ["sleep", "3600"]',
          "    stop_timeout: 1s",
          "",
        ].join("\n"),
      );
      podmanLink = join(work.path, "bin", "podman");
      await mkdir(join(work.path, "bin"));
      await symlink(await podmanOnPath(), podmanLink);
      env = {
        ...(process.env as Record<string, string>),
        ...store.archyEnv,
        ARCHY_PODMAN: podmanLink,
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: apps,
        NO_COLOR: "1",
      };
      const up = await archy(["up"]);
      expect(up.exitCode, up.stderr).toBe(0);
    }, 300_000);
    afterAll(async () => {
      await stopDaemon();
      await store?.cleanup();
      await work?.remove();
    });

    it.each(OPS)("without a daemon, %s exits 4 and says podman is unavailable", async (op) => {
      const r = await archy([op, "web"], { ARCHY_PODMAN: "/nonexistent/podman" });
      expect(r.exitCode, `${r.stdout}${r.stderr}`).toBe(4);
      // The phase it reverts to is what that run could tell without podman (missing).
      expect(r.stdout).toMatch(/^web: \S+: podman is unavailable/m);
      // podman was never reached: the container runs on.
      expect(await containerState(store, "archy-web")).toBe("running");
    });

    it("through the daemon, stop, start and restart exit 4 once the daemon's podman is gone; --json carries the code", async () => {
      await startDaemon();
      await waitFor(async () => (await containerState(store, "archy-web")) === "running", {
        timeoutMs: 30_000,
        what: "web running",
      });
      await rm(podmanLink);
      for (const op of OPS) {
        const r = await archy([op, "web"]);
        expect(r.exitCode, `${op}: ${r.stdout}${r.stderr}`).toBe(4);
        expect(r.stdout, op).toMatch(/^web: \S+: podman is unavailable/m);
      }
      const json = await archy(["stop", "web", "--json"]);
      expect(json.exitCode, json.stderr).toBe(4);
      const final = JSON.parse(json.stdout.trim().split("\n").at(-1)!) as {
        final: boolean;
        app: { lastError: string; lastErrorCode: string };
      };
      expect(final).toMatchObject({
        final: true,
        app: { lastErrorCode: "EPODMANUNAVAILABLE", lastError: expect.stringMatching(/podman/) },
      });
      expect(await containerState(store, "archy-web")).toBe("running");
    });
  },
);
