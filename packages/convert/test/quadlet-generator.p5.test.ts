// Every unit `archy export quadlet` writes, checked by the programs that will
// read it: podman 5.4.2's Quadlet generator (`quadlet -dryrun`, as the
// system's generator and as a user's) and systemd 257's `systemd-analyze
// verify` on each service it generates. Then each container service's
// ExecStart= is split as systemd splits it and compared, word for word,
// with the podman arguments archy's own runtime would run (podman-args.ts
// states the rule). The maximal app's resource limits are also checked flag
// by flag. Runs inside the Debian 13 root (vitest project podman5).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { containerName, type AppManifest } from "@archy/reconciler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportQuadlet, type QuadletExport } from "../src/quadlet/export.js";
import { EXAMPLES, loadApps, MAXIMAL, REFUSED, WORDS } from "../src/quadlet/export.fixtures.js";
import { COMPOSE_FIXTURES, composeApps } from "./compose-apps.js";
import { compareRun, parseRunArgs } from "./podman-args.js";
import {
  generate,
  generatorMissing,
  scratch,
  serviceValues,
  verify,
  writeUnits,
  type Generated,
} from "./quadlet-generator.js";
import { execStartCommands } from "./systemd-exec.js";

const missing = generatorMissing();
if (missing !== null && process.env.CI)
  throw new Error(`CI is set, so the podman 5 tests must run, but ${missing}`);

const SETS: [string, () => Promise<AppManifest[]>][] = [
  ["the example apps", () => loadApps(EXAMPLES)],
  ["the maximal manifests", () => loadApps(MAXIMAL)],
  ["the edge words", () => loadApps(WORDS)],
  ["the refused fixtures (what is exported of them)", () => loadApps(REFUSED)],
  ...Object.keys(COMPOSE_FIXTURES).map((name): [string, () => Promise<AppManifest[]>] => [
    `compose ${name}`,
    () => composeApps(name),
  ]),
];

/** The service Quadlet makes of each unit file archy wrote. */
const serviceOf = (file: string) =>
  file.replace(/\.container$/, ".service").replace(/\.(volume|network)$/, "-$1.service");

describe.skipIf(missing !== null).each(SETS)(
  `podman 5's Quadlet generator on %s ${missing ?? ""}`,
  (_name, load) => {
    let apps: AppManifest[];
    let out: QuadletExport;
    let dir: { path: string; remove: () => Promise<void> };
    let system: Generated;
    let user: Generated;
    const envFiles = new Map<string, string>();

    beforeAll(async () => {
      apps = await load();
      dir = await scratch("archy-quadlet-");
      out = exportQuadlet(apps, { outDir: dir.path, podman: "5.4" });
      await writeUnits(dir.path, out.files);
      for (const f of out.files.filter((f) => f.name.endsWith(".env")))
        envFiles.set(join(dir.path, f.name), await readFile(join(dir.path, f.name), "utf8"));
      system = await generate(dir.path);
      user = await generate(dir.path, { user: true });
    });
    afterAll(() => dir?.remove());

    const exported = () => {
      const refused = new Set(out.refused.map((e) => e.app));
      return apps.filter((a) => !refused.has(a.id));
    };

    it("converts every unit archy wrote, as system and user units; its only warning, a short image name, is noted in the unit", () => {
      const units = out.files.filter((f) => /\.(container|volume|network)$/.test(f.name));
      const noted = units
        .filter((f) => /^# Note: the image \S+ does not name its registry/m.test(f.text))
        .map((f) => f.name);
      for (const g of [system, user]) {
        expect(g.exitCode, g.stderr).toBe(0);
        expect([...g.units.keys()].sort()).toEqual(units.map((f) => serviceOf(f.name)).sort());
        const said = g.stderr
          .split("\n")
          .filter((l) => l.trim() !== "" && !/: Loading source unit file /.test(l));
        const warned = said.map((l) => {
          const m =
            / Warning: (\S+) specifies the image "[^"]+" which not a fully qualified image name\./.exec(
              l,
            );
          expect(m, `the generator said: ${l}`).not.toBeNull();
          return m![1]!;
        });
        expect(warned.sort()).toEqual(noted.sort());
      }
    });

    it("gives services that systemd-analyze verify accepts (system and user)", async () => {
      // A service of the refused set requires the unit of a refused app: systemd names
      // it, and nothing else.
      const absent = [...new Set(exported().flatMap((a) => a.dependsOn))]
        .filter((d) => !exported().some((a) => a.id === d))
        .map((d) => `${containerName(d)}.service`);
      for (const [g, opts] of [
        [system, {}],
        [user, { user: true }],
      ] as const) {
        const r = await verify(g.units, opts);
        const lines = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.trim() !== "");
        const other = lines.filter((l) => !absent.some((a) => l.includes(a)));
        expect(other, lines.join("\n")).toEqual([]);
        expect(r.exitCode, lines.join("\n")).toBe(absent.length ? 1 : 0);
      }
    });

    it("runs exactly the podman arguments archy means, word for word (ExecStart= split as systemd splits it)", () => {
      expect(exported().length).toBeGreaterThan(0);
      for (const [g, runtimeDir] of [
        [system, "/run"],
        [user, "/run/user/1000"],
      ] as const)
        for (const app of exported()) {
          const unitName = `${containerName(app.id)}.service`;
          const values = serviceValues(g.units.get(unitName)!, "ExecStart");
          expect(values, unitName).toHaveLength(1);
          const commands = execStartCommands(values[0]!, { runtimeDir, unitName });
          expect(commands, `${unitName}: one command`).toHaveLength(1);
          const cidfile = `${runtimeDir}/${containerName(app.id)}.cid`;
          expect(compareRun(app, commands[0]!, { cidfile, envFiles }), unitName).toEqual([]);
        }
    });

    it("creates each named volume and network under archy's name", () => {
      for (const f of out.files.filter((f) => /\.(volume|network)$/.test(f.name))) {
        const kind = f.name.endsWith(".volume") ? "volume" : "network";
        const name = f.name.replace(/^archy-/, "").replace(/\.(volume|network)$/, "");
        const unitName = serviceOf(f.name);
        const [value] = serviceValues(system.units.get(unitName)!, "ExecStart");
        expect(execStartCommands(value!, { runtimeDir: "/run", unitName })).toEqual([
          ["/usr/bin/podman", kind, "create", "--ignore", name],
        ]);
      }
    });
  },
);

describe.skipIf(missing !== null)(
  `podman 5's Quadlet generator on resource limits ${missing ?? ""}`,
  () => {
    it("runs the maximal app with its memory limit and reservation, CPUs and process limit", async () => {
      const apps = await loadApps(MAXIMAL);
      const dir = await scratch("archy-quadlet-");
      try {
        await writeUnits(dir.path, exportQuadlet(apps, { outDir: dir.path, podman: "5.4" }).files);
        const g = await generate(dir.path);
        expect(g.exitCode, g.stderr).toBe(0);
        const unitName = "archy-max.service";
        const [value] = serviceValues(g.units.get(unitName)!, "ExecStart");
        const [argv] = execStartCommands(value!, { runtimeDir: "/run", unitName });
        const limits = parseRunArgs(argv!.slice(2)).flags.filter(([name]) =>
          ["memory", "memory-reservation", "cpus", "pids-limit"].includes(name),
        );
        expect(limits).toEqual([
          ["memory", "1536m"],
          ["memory-reservation", "256m"],
          ["cpus", "1.5"],
          ["pids-limit", "200"],
        ]);
      } finally {
        await dir.remove();
      }
    });
  },
);
