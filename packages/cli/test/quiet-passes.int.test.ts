// A pass that changes nothing changes nothing, on podman 4.3 and 5 alike
// (scripts/test.sh runs this file on both): the example apps carry an http, a
// tcp and a cmd health check, a volume, a config file rendered by a pre-start
// hook and a build. Passes after an invalid manifest, an orphan and a failing
// hook elsewhere leave their containers alone; a config file the hook rewrites
// is what the recreated container serves.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  copyExamples,
  createPodmanStore,
  podmanAvailability,
  type PodmanStore,
  tempDir,
} from "@archy/test-utils";
import { archyHarness } from "./harness.js";

const podman = podmanAvailability();

describe.skipIf(podman.skipReason !== null)(
  `passes that change nothing on podman ${podman.version ?? ""} ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let work: { path: string; remove: () => Promise<void> };
    let env: Record<string, string>;
    const ports: Record<string, number> = {};
    const { archy } = archyHarness(() => env);
    /** name, id and start time of every archy container. */
    const containers = async () =>
      (
        await store.podman([
          "ps",
          "-a",
          "--filter",
          "label=io.archy.app",
          "--format",
          "{{.Names}} {{.ID}} {{.StartedAt}}",
        ])
      ).stdout
        .split("\n")
        .filter(Boolean)
        .sort();
    const examples = (app: string) => join(work.path, "examples/apps", `${app}.yaml`);
    const exampleIds = async () =>
      (await containers()).filter((l) => /^archy-(web|clock|greeter) /.test(l));

    beforeAll(async () => {
      store = await createPodmanStore({ buildImage: false });
      work = await tempDir("archy-quiet-");
      Object.assign(ports, await copyExamples(work.path));
      env = {
        ...(process.env as Record<string, string>),
        ...store.archyEnv,
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: join(work.path, "examples/apps"),
        NO_COLOR: "1",
      };
      const up = await archy(["up"]);
      expect(up.exitCode, up.stderr).toBe(0);
    }, 300_000);
    afterAll(async () => {
      await store?.cleanup();
      await work?.remove();
    });

    it("a second and a third pass: no action, the same containers", async () => {
      const before = await exampleIds();
      expect(before).toHaveLength(3);
      for (let i = 0; i < 2; i++) {
        const up = await archy(["up", "--json"]);
        expect(up.exitCode, up.stderr).toBe(0);
        expect((JSON.parse(up.stdout) as { actions: unknown[] }).actions).toEqual([]);
      }
      expect(await exampleIds()).toEqual(before);
    });

    it("after an invalid manifest is added: exit 2, the others untouched", async () => {
      const before = await exampleIds();
      await writeFile(examples("broken"), "app:\n  id: broken\n  name: Broken\n  versoin: 1\n");
      const up = await archy(["up"]);
      expect(up.exitCode).toBe(2);
      expect(up.stderr).toMatch(/broken\.yaml:\d+:\d+/);
      expect(await exampleIds()).toEqual(before);
      await rm(examples("broken"));
    });

    it("after an orphan is reported: the others untouched", async () => {
      const before = await exampleIds();
      await store.podman(["build", "--quiet", "--tag", store.image, await store.imageContext("o")]);
      await store.podman([
        "run",
        "-d",
        "--name",
        "archy-ghost",
        "--label",
        "io.archy.app=ghost",
        ...Object.entries(store.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
        store.image,
        "sleep",
        "600",
      ]);
      const up = await archy(["up"]);
      expect(up.stderr).toContain("archy-ghost");
      expect(await exampleIds()).toEqual(before);
      await store.podman(["rm", "-f", "-t", "0", "archy-ghost"]);
    });

    it("up --remove-orphans removes an orphan once and stops calling it one", async () => {
      const before = await exampleIds(); // the image was built by the test before
      await store.podman([
        "run",
        "-d",
        "--name",
        "archy-gone",
        "--label",
        "io.archy.app=gone",
        ...Object.entries(store.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
        store.image,
        "sleep",
        "600",
      ]);
      const up = await archy(["up", "--remove-orphans", "--json"]);
      expect(up.exitCode, up.stdout + up.stderr).toBe(0);
      const report = JSON.parse(up.stdout) as {
        actions: { kind: string; container: string; ok: boolean }[];
        orphans: unknown[];
        failures: unknown[];
      };
      expect(report.actions).toEqual([
        expect.objectContaining({ kind: "remove-orphan", container: "archy-gone", ok: true }),
      ]);
      expect(report.orphans).toEqual([]);
      expect(report.failures).toEqual([]);
      expect((await containers()).some((l) => l.startsWith("archy-gone "))).toBe(false);
      expect(await exampleIds()).toEqual(before);
    });

    it("a config file replaced by a folder fails its app (exit 1) and recreates nothing", async () => {
      const conf = join(work.path, "cfg.conf");
      await writeFile(conf, "one\n");
      await writeFile(
        examples("cfg"),
        [
          "app:",
          "  id: cfg",
          "  name: Configured",
          "  version: 1.0.0",
          "  container:",
          `    image: ${store.image}`,
          "    pull: never",
          '    command: ["sleep", "600"]',
          `  config_files: [${JSON.stringify(conf)}]`,
          "",
        ].join("\n"),
      );
      const first = await archy(["up"]);
      expect(first.exitCode, first.stdout + first.stderr).toBe(0);
      const before = await containers();
      await rm(conf);
      await mkdir(conf);
      const up = await archy(["up", "--json"]);
      expect(up.exitCode, up.stdout + up.stderr).toBe(1);
      const report = JSON.parse(up.stdout) as {
        actions: unknown[];
        failures: { app: string; error: string }[];
      };
      expect(report.actions).toEqual([]);
      expect(report.failures).toEqual([
        { app: "cfg", error: expect.stringMatching(/cannot read config file .*cfg\.conf: EISDIR/) },
      ]);
      expect(await containers()).toEqual(before);
      // Readable again with the same content: nothing to do.
      await rm(conf, { recursive: true });
      await writeFile(conf, "one\n");
      const again = await archy(["up", "--json"]);
      expect(again.exitCode, again.stdout + again.stderr).toBe(0);
      expect((JSON.parse(again.stdout) as { actions: unknown[] }).actions).toEqual([]);
      expect(await containers()).toEqual(before);
      await rm(examples("cfg"));
      await store.podman(["rm", "-f", "-t", "0", "archy-cfg"]);
    });

    it("after a pre-start hook fails in another app: exit 1, the others untouched", async () => {
      const before = await exampleIds();
      await writeFile(
        examples("hooked"),
        [
          "app:",
          "  id: hooked",
          "  name: Hooked",
          "  version: 1.0.0",
          "  container:",
          `    image: ${store.image}`,
          "    pull: never",
          '    command: ["sleep", "600"]',
          "  hooks:",
          '    pre_start: [["sh", "-c", "echo no config for you >&2; exit 1"]]',
          "",
        ].join("\n"),
      );
      const up = await archy(["up"]);
      expect(up.stdout + up.stderr).toContain("no config for you");
      expect(up.exitCode, up.stdout + up.stderr).toBe(1);
      expect(await exampleIds()).toEqual(before);
      await rm(examples("hooked"));
    });

    it("a config file the hook rewrites is what the recreated container serves", async () => {
      const before = await exampleIds();
      const greeter = await readFile(examples("greeter"), "utf8");
      await writeFile(examples("greeter"), greeter.replace("GREETING: Hello", "GREETING: Bonjour"));
      const up = await archy(["up"]);
      expect(up.exitCode, up.stderr).toBe(0);
      const after = await exampleIds();
      expect(after.filter((l) => !l.startsWith("archy-greeter "))).toEqual(
        before.filter((l) => !l.startsWith("archy-greeter ")),
      );
      expect(after.find((l) => l.startsWith("archy-greeter "))).not.toEqual(
        before.find((l) => l.startsWith("archy-greeter ")),
      );
      expect(
        await fetch(`http://127.0.0.1:${ports.greeter}/index.html`).then((r) => r.text()),
      ).toBe("<p>Bonjour, owner!</p>\n");
      const inside = await store.podman(["exec", "archy-greeter", "cat", "/site/index.html"]);
      expect(inside.stdout).toBe("<p>Bonjour, owner!</p>");
    });
  },
);
