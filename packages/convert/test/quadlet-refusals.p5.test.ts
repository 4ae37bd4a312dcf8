// Why archy refuses what it refuses, and writes host paths as it does:
// each case shown on podman 5.4.2's generator and systemd 257's
// systemd-analyze with the unit archy would write without the rule, next to
// what it writes with it. These are the tests' negative cases: the
// comparison of quadlet-generator.p5.test.ts does fail on such a unit.
import { execFileSync } from "node:child_process";
import { containerName, type AppManifest } from "@archy/reconciler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportQuadlet } from "../src/quadlet/export.js";
import { loadApps, REFUSED, WORDS } from "../src/quadlet/export.fixtures.js";
import { generatorCopiesPath } from "../src/quadlet/storage.js";
import { quoteWord } from "../src/quadlet/syntax.js";
import { compareRun } from "./podman-args.js";
import {
  generate,
  generatorMissing,
  scratch,
  serviceValues,
  verify,
  writeUnits,
} from "./quadlet-generator.js";
import { execStartCommands } from "./systemd-exec.js";

const missing = generatorMissing();
if (missing !== null && process.env.CI)
  throw new Error(`CI is set, so the podman 5 tests must run, but ${missing}`);

const PLACEHOLDER = "archy-placeholder-word";

/**
 * The unit archy would write for `app` if it did not refuse it: the export of
 * the app with one command word replaced by a placeholder, then the
 * placeholder replaced by that word as archy quotes it.
 */
function unrefusedUnit(app: AppManifest, index: number, outDir: string) {
  const command = [...app.container.command!];
  const word = command[index]!;
  command[index] = PLACEHOLDER;
  const out = exportQuadlet([{ ...app, dependsOn: [], container: { ...app.container, command } }], {
    outDir,
    podman: "5.4",
  });
  expect(out.refused).toEqual([]);
  const file = out.files.find((f) => f.name.endsWith(".container"))!;
  return { ...file, text: file.text.replace(PLACEHOLDER, quoteWord(word)) };
}

async function generated(files: { name: string; text: string; mode?: number }[]) {
  const dir = await scratch("archy-refusal-");
  await writeUnits(dir.path, files);
  const g = await generate(dir.path);
  await dir.remove();
  return g;
}

/** systemd's name of the mount unit of a path (systemd-escape --path --suffix=mount). */
const mountUnitOf = (path: string) =>
  execFileSync("systemd-escape", ["--path", "--suffix=mount", path], { encoding: "utf8" }).trim();

/** A mount unit systemd refuses when it loads it: loaded only if a RequiresMountsFor= names exactly that path. */
const TRAP = "[Mount]\nWhat=/nowhere\nWhere=/not/this/path\n";

describe.skipIf(missing !== null)(`what podman 5's generator gets wrong ${missing ?? ""}`, () => {
  let refused: AppManifest[];
  let edge: AppManifest;
  let dir: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    refused = await loadApps(REFUSED);
    edge = (await loadApps(WORDS))[0]!;
    dir = await scratch("archy-refusals-");
  });
  afterAll(() => dir?.remove());
  const byId = (id: string) => refused.find((a) => a.id === id)!;

  it('an empty Exec= word: the service runs `redis-server --save`, every word from "" on is lost', async () => {
    const redis = byId("redis");
    expect(redis.container.command).toEqual(["redis-server", "--save", "", "--appendonly", "no"]);
    const unit = unrefusedUnit(redis, 2, dir.path);
    expect(unit.text).toContain('Exec=redis-server --save "" --appendonly no\n');
    const g = await generated([unit]);
    expect(g.exitCode, g.stderr).toBe(0);
    const [execStart] = serviceValues(g.units.get("archy-redis.service")!, "ExecStart");
    const [argv] = execStartCommands(execStart!, {
      runtimeDir: "/run",
      unitName: "archy-redis.service",
    });
    expect(argv!.slice(-3)).toEqual(["docker.io/library/redis:7", "redis-server", "--save"]);
    // The comparison sees it; the export refuses the app instead.
    const cidfile = "/run/archy-redis.cid";
    expect(compareRun(redis, argv!, { cidfile, envFiles: new Map() })).toEqual([
      'command ["redis-server","--save"], meant ["redis-server","--save","","--appendonly","no"]',
    ]);
    const out = exportQuadlet(refused, { outDir: dir.path, podman: "5.4" });
    expect(out.files.map((f) => f.name)).not.toContain("archy-redis.container");
    expect(out.refused.map((e) => `${e.app} ${e.field}`)).toContain("redis container.command[2]");
  });

  it("'' is dropped the same way", async () => {
    const unit = unrefusedUnit(byId("redis"), 2, dir.path);
    const g = await generated([{ ...unit, text: unit.text.replace('--save ""', "--save ''") }]);
    const [execStart] = serviceValues(g.units.get("archy-redis.service")!, "ExecStart");
    expect(execStart).toMatch(/ redis-server --save$/);
  });

  it('a lone ";": the service gets two commands, and systemd refuses it', async () => {
    const split = byId("split");
    const unit = unrefusedUnit(split, 2, dir.path);
    expect(unit.text).toContain('Exec=echo one ";" echo two\n');
    const g = await generated([unit]);
    const [execStart] = serviceValues(g.units.get("archy-split.service")!, "ExecStart");
    const commands = execStartCommands(execStart!, {
      runtimeDir: "/run",
      unitName: "archy-split.service",
    });
    expect(commands).toHaveLength(2);
    expect(commands[0]!.slice(-3)).toEqual(["docker.io/library/busybox:1.36", "echo", "one"]);
    expect(commands[1]).toEqual(["echo", "two"]);
    const r = await verify(g.units);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/more than one ExecStart= setting.*Refusing/);
  });

  it("the comparison fails on any other word changed, added or taken out", async () => {
    const out = exportQuadlet([edge], { outDir: dir.path, podman: "5.4" });
    const d = await scratch("archy-compare-");
    await writeUnits(d.path, out.files);
    const g = await generate(d.path);
    await d.remove();
    const [execStart] = serviceValues(g.units.get("archy-edge.service")!, "ExecStart");
    const [argv] = execStartCommands(execStart!, {
      runtimeDir: "/run",
      unitName: "archy-edge.service",
    });
    const envFile = out.files.find((f) => f.name === "archy-edge.env")!;
    const opts = {
      cidfile: "/run/archy-edge.cid",
      envFiles: new Map([[`${dir.path}/archy-edge.env`, envFile.text]]),
    };
    expect(compareRun(edge, argv!, opts)).toEqual([]);
    const at = (w: string) => argv!.indexOf(w);
    const changed = (f: (a: string[]) => void) => {
      const a = [...argv!];
      f(a);
      return compareRun(edge, a, opts);
    };
    expect(changed((a) => a.splice(at("EMPTY="), 1, "EMPTY=x"))).toEqual([
      'missing "--env=EMPTY="',
      'extra "--env=EMPTY=x"',
    ]);
    expect(changed((a) => a.splice(at("--replace"), 1))).toEqual([
      "Quadlet's --replace appears 0 times",
    ]);
    expect(changed((a) => a.splice(at("--rm"), 0, "--privileged"))).toEqual([
      'extra "--privileged"',
    ]);
    expect(changed((a) => a.splice(-1, 1, "-y"))).toEqual([
      expect.stringMatching(/^command \[.*"-y"\], meant \[.*"-x"\]$/),
    ]);
    expect(changed((a) => a.push("extra"))).toHaveLength(1);
    expect(() => changed((a) => a.splice(at("--rm"), 0, "--no-such-flag"))).toThrow(/no flag/);
  });

  it("a host path with a blank in Volume=: Quadlet's RequiresMountsFor= is read as pieces; archy's own is read whole", async () => {
    const path = "/srv/edge/a b";
    const raw = `[Container]\nImage=localhost/x\nVolume=${path}:/data\n`;
    const g = await generated([{ name: "raw.container", text: raw }]);
    expect(g.units.get("raw.service")).toContain(`RequiresMountsFor=${path}\n`);
    const bad = await verify(g.units, { extra: { [mountUnitOf(path)]: TRAP } });
    const said = bad.stdout + bad.stderr;
    expect(said).toContain("RequiresMountsFor= path is not absolute, ignoring: b");
    expect(said).not.toContain(mountUnitOf(path));
  });

  it.each([
    ["a $", "/srv/edge/dollar$x"],
    ["a quote", "/srv/edge/it's"],
    ['a "', '/srv/edge/say "x"'],
    ["a backslash", "/srv/edge/back\\slash"],
  ])(
    "a host path with %s in Volume=: systemd waits for another path than Quadlet's copy says",
    async (_, path) => {
      // As archy would write it on Volume=: `$` doubled for ExecStart=.
      const raw = `[Container]\nImage=localhost/x\nVolume=${path.replace(/\$/g, "$$$$")}:/data\n`;
      const g = await generated([{ name: "raw.container", text: raw }]);
      const r = await verify(g.units, { extra: { [mountUnitOf(path)]: TRAP } });
      expect(r.stdout + r.stderr).not.toContain(mountUnitOf(path));
    },
  );

  it("every host path archy exports (blanks, quotes, backslash, $, %, ;) is the one path systemd waits for", async () => {
    const out = exportQuadlet([edge], { outDir: dir.path, podman: "5.4" });
    const units = await (async () => {
      const d = await scratch("archy-paths-");
      await writeUnits(d.path, out.files);
      const g = await generate(d.path);
      await d.remove();
      return g.units;
    })();
    const hostPaths = edge.container.volumes.map((v) => v.source).filter((s) => s.startsWith("/"));
    expect(hostPaths.filter((p) => !generatorCopiesPath(p))).toHaveLength(5);
    const traps = Object.fromEntries(hostPaths.map((p) => [mountUnitOf(p), TRAP]));
    const r = await verify(units, { extra: traps });
    const said = r.stdout + r.stderr;
    for (const p of hostPaths)
      expect(said, p).toContain(`${mountUnitOf(p)}: Where= setting doesn't match unit name`);
    expect(said).not.toMatch(/not absolute|Failed to|Unknown/);
    // And podman gets each path whole, on -v or --volume.
    const [execStart] = serviceValues(units.get(`${containerName("edge")}.service`)!, "ExecStart");
    const [argv] = execStartCommands(execStart!, {
      runtimeDir: "/run",
      unitName: "archy-edge.service",
    });
    const mounts = argv!.flatMap((w, i) =>
      w === "-v" ? [argv![i + 1]!] : w.startsWith("--volume=") ? [w.slice(9)] : [],
    );
    for (const p of hostPaths)
      expect(
        mounts.some((m) => m.startsWith(`${p}:`)),
        p,
      ).toBe(true);
  });
});
