// An upgrade on real podman: the previous release's `archy up` brings the
// examples up on an isolated store, then this checkout's `archy up` on the same
// state folder and store must take its containers over as they are: no action
// at all, the same container ids, the same config-hash labels, never
// restarted. A change to the config hash or to the state folder's format that
// would recreate or restart every owner's containers on upgrade fails here
// (src/pass/hash-pin.test.ts in @archy/reconciler pins the hash itself).
//
// The previous release is built from its commit once (`buildRelease`, about
// 35 s cold) and kept in node_modules/.cache/archy-releases for later runs.
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildRelease,
  copyExamples,
  createPodmanStore,
  podmanAvailability,
  tempDir,
  type PodmanStore,
  type Release,
} from "@archy/test-utils";
import { bin } from "./harness.js";

/**
 * The release before this work: main at 9cfde6a. Move it forward when a
 * release ships (the full id: a cached build needs no git to find it).
 */
const PREVIOUS = "9cfde6aaa8a306c0fa52810f5727bb062ecaba59";

const podman = podmanAvailability();

interface Report {
  actions: { app: string; kind: string; reason: string; ok: boolean }[];
  converged: string[];
  failures: unknown[];
}

/** What identifies each archy container on the store, by container name. */
async function containers(store: PodmanStore) {
  const ps = JSON.parse(
    (await store.podman(["ps", "-a", "--format", "json", "--filter", "label=io.archy.app"])).stdout,
  ) as { Id: string; Names: string[]; Labels: Record<string, string>; State: string }[];
  const inspect = JSON.parse((await store.podman(["inspect", ...ps.map((c) => c.Id)])).stdout) as {
    Id: string;
    State: { StartedAt: string; Status: string };
  }[];
  return Object.fromEntries(
    ps.map((c) => {
      const seen = inspect.find((i) => i.Id === c.Id)!;
      return [
        c.Names[0]!,
        {
          id: c.Id,
          hash: c.Labels["io.archy.config-hash"],
          state: seen.State.Status,
          startedAt: seen.State.StartedAt,
        },
      ];
    }),
  );
}

describe.skipIf(podman.skipReason !== null)(
  `upgrade from the previous release ${podman.skipReason ?? ""}`,
  () => {
    let release: Release;
    let store: PodmanStore;
    let work: { path: string; remove: () => Promise<void> };
    let env: Record<string, string>;

    const run = (program: string, args: string[]) =>
      execa(process.execPath, [program, ...args], { env, reject: false, timeout: 150_000 });

    beforeAll(async () => {
      // A build that fails throws here: the tests below fail with its step and output.
      release = await buildRelease(PREVIOUS, { log: (line) => console.log(`upgrade: ${line}`) });
      console.log(
        `upgrade: the release at ${PREVIOUS} ${release.built ? "built" : "reused"} in ${release.ms} ms`,
      );
      store = await createPodmanStore({ buildImage: false });
      work = await tempDir("archy-upgrade-");
      await copyExamples(work.path);
      env = {
        ...(process.env as Record<string, string>),
        ...store.archyEnv,
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: join(work.path, "examples/apps"),
        NO_COLOR: "1",
      };
    }, 400_000);
    afterAll(async () => {
      await store?.cleanup();
      await work?.remove();
    });

    it("this checkout's archy up leaves the previous release's containers as they are", async () => {
      const old = await run(release.bin, ["up", "--json"]);
      expect(old.exitCode, `the previous release's archy up:\n${old.stderr}`).toBe(0);
      const oldReport = JSON.parse(old.stdout) as Report;
      expect(oldReport.actions.filter((a) => !a.ok)).toEqual([]);
      expect(oldReport.actions.map((a) => [a.app, a.kind])).toEqual(
        expect.arrayContaining([
          ["web", "create"],
          ["clock", "create"],
          ["greeter", "create"],
        ]),
      );
      const before = await containers(store);
      expect(Object.keys(before).sort()).toEqual(["archy-clock", "archy-greeter", "archy-web"]);
      for (const c of Object.values(before)) expect(c.state).toBe("running");

      const now = await run(bin, ["up", "--json"]);
      expect(now.exitCode, `this checkout's archy up:\n${now.stderr}`).toBe(0);
      const report = JSON.parse(now.stdout) as Report;
      // No create, recreate, start, stop or remove: nothing at all to do.
      expect(report.actions).toEqual([]);
      expect(report.failures).toEqual([]);
      expect(report.converged.sort()).toEqual(["clock", "greeter", "web"]);
      // The same containers, never restarted, with the hash the old release gave them.
      expect(await containers(store)).toEqual(before);
    });
  },
);
