// Every unit an export writes, read back the way Quadlet reads it: known
// keys only, the version in the header is the one the keys need, and each
// value decodes to what archy would pass to podman.
import { join } from "node:path";
import { containerName, isSecretKey, LABEL_APP, type AppManifest } from "@archy/reconciler";
import { beforeAll, describe, expect, it } from "vitest";
import { EXAMPLES, loadApps, MAXIMAL, OUT, REFUSED, WORDS } from "./export.fixtures.js";
import { exportQuadlet, type QuadletExport } from "./export.js";
import { compareVersions, QUADLET_KEYS, SYSTEMD_KEYS, type QuadletSection } from "./keys.js";
import { headerVersion, keySince, keyUses, minPodmanFor } from "./min-version.js";
import { decodeValue, lookupAll, parseUnit, type ParsedUnit } from "./parse.js";

const sets: [string, string][] = [
  ["the examples", EXAMPLES],
  ["the maximal manifests", MAXIMAL],
  ["the edge words", WORDS],
  ["the refused apps (what is exported of them)", REFUSED],
];
const exports = new Map<string, { apps: AppManifest[]; out: QuadletExport }>();
beforeAll(async () => {
  for (const [name, dir] of sets) {
    const apps = await loadApps(dir);
    exports.set(name, { apps, out: exportQuadlet(apps, { outDir: OUT }) });
  }
});

const units = (out: QuadletExport) =>
  out.files
    .filter((f) => /\.(container|volume|network)$/.test(f.name))
    .map((f) => ({ ...f, unit: parseUnit(f.text) }));

/** All decoded values of a key. */
const values = (unit: ParsedUnit, section: string, key: string) =>
  lookupAll(unit, section, key).flatMap((v) => decodeValue(key, v));

/** systemd's reading of one RequiresMountsFor= value as archy writes it: quoted, `%%` for `%`. */
const mountsForPath = (value: string) =>
  value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1").replace(/%%/g, "%") : value;

/** podman's reading of an env file: each non-comment line is NAME=value, literally. */
const readEnvFile = (text: string) =>
  Object.fromEntries(
    text
      .split("\n")
      .filter((l) => l.trimStart() !== "" && !l.trimStart().startsWith("#"))
      .map((l) => [l.slice(0, l.indexOf("=")).trimStart(), l.slice(l.indexOf("=") + 1)]),
  );

describe.each(sets)("units of %s, parsed back", (name) => {
  const get = () => exports.get(name)!;

  it("use only sections and keys Quadlet knows", () => {
    for (const { name: file, unit } of units(get().out)) {
      const kind = { container: "Container", volume: "Volume", network: "Network" }[
        file.split(".").pop()!
      ] as QuadletSection;
      for (const s of unit.sections) {
        expect([kind, "Unit", "Service", "Install"], file).toContain(s.name);
        for (const e of s.entries) {
          const known =
            s.name === kind
              ? Object.hasOwn(QUADLET_KEYS[kind], e.key)
              : (SYSTEMD_KEYS[s.name as keyof typeof SYSTEMD_KEYS] ?? []).includes(e.key);
          expect(known, `${file}: [${s.name}] ${e.key}`).toBe(true);
        }
      }
      expect(unit.sections.some((s) => s.name === kind)).toBe(true);
    }
  });

  it("state in their header the oldest podman that knows every key they (and the units they name) use", () => {
    const all = units(get().out);
    let max = "4.4";
    for (const { name: file, unit, text } of all) {
      const referenced = [
        ...values(unit, "Container", "Volume").map((v) => v.split(":")[0]!),
        ...values(unit, "Container", "Network"),
      ].filter((ref) => /\.(volume|network)$/.test(ref));
      const uses = [
        ...keyUses(unit),
        ...referenced.flatMap((ref) => keyUses(all.find((u) => u.name === ref)!.unit, ref)),
      ];
      const stated = headerVersion(text);
      expect(stated, file).toBe(minPodmanFor(uses).version);
      for (const u of uses)
        expect(compareVersions(keySince(u.section, u.key)!, stated!)).toBeLessThanOrEqual(0);
      if (compareVersions(stated!, max as "4.4") > 0) max = stated!;
    }
    expect(get().out.minPodman).toBe(max);
  });

  it("give podman what archy gives it", () => {
    const { apps, out } = get();
    const refused = new Set(out.refused.map((e) => e.app));
    for (const app of apps.filter((a) => !refused.has(a.id))) {
      const file = `${containerName(app.id)}.container`;
      const unit = units(out).find((u) => u.name === file)!.unit;
      const c = app.container;
      const v = (key: string) => values(unit, "Container", key);
      expect(v("ContainerName")).toEqual([containerName(app.id)]);
      expect(v("Image")).toEqual([c.image]);
      expect(v("Exec")).toEqual(c.command ?? []);
      const plain = Object.entries(c.env).filter(([k]) => !isSecretKey(k));
      const secret = Object.entries(c.env).filter(([k]) => isSecretKey(k));
      expect(
        Object.fromEntries(v("Environment").map((kv) => kv.split(/=(.*)/s).slice(0, 2))),
      ).toEqual(Object.fromEntries(plain));
      const envFile = `${containerName(app.id)}.env`;
      expect(v("EnvironmentFile")).toEqual(secret.length ? [join(OUT, envFile)] : []);
      if (secret.length)
        expect(readEnvFile(out.files.find((f) => f.name === envFile)!.text)).toEqual(
          Object.fromEntries(secret),
        );
      expect(v("PublishPort")).toHaveLength(c.ports.length);
      // A host path Quadlet would copy wrongly into RequiresMountsFor= is a
      // --volume flag, and the unit names the path itself.
      const args = v("PodmanArgs");
      const flagged = args.filter((a) => a.startsWith("--volume=")).map((a) => a.slice(9));
      expect([...v("Volume"), ...flagged].sort()).toEqual(
        c.volumes
          .map(
            (m) =>
              `${m.source.startsWith("/") ? m.source : `archy-${m.source}.volume`}:${m.target}${m.readOnly ? ":ro" : ""}`,
          )
          .sort(),
      );
      expect(lookupAll(unit, "Unit", "RequiresMountsFor").map(mountsForPath)).toEqual(
        flagged.map((f) => f.split(":")[0]),
      );
      expect(v("Label")).toEqual([`${LABEL_APP}=${app.id}`]);
      expect(args).toContain(`--stop-timeout=${Math.ceil(c.stopTimeoutMs / 1000)}`);
      if (c.entrypoint) expect(args).toContain(`--entrypoint=${JSON.stringify(c.entrypoint)}`);
      if (c.stopSignal) expect(args).toContain(`--stop-signal=${c.stopSignal}`);
      if (c.readOnly) expect(args).toContain("--read-only");
      if (c.user) {
        const numeric = [...v("User"), ...v("Group")].join(":");
        expect(numeric === c.user || args.includes(`--user=${c.user}`)).toBe(true);
      }
      expect([...v("AddCapability"), ...v("DropCapability")]).toEqual([...c.capAdd, ...c.capDrop]);
      const hc = c.healthcheck;
      expect(v("HealthCmd").map((s) => JSON.parse(s) as unknown)).toEqual(
        hc?.kind === "cmd" ? [hc.cmd] : [],
      );
      expect(values(unit, "Service", "Restart")).toEqual([app.restart.policy]);
      expect(values(unit, "Unit", "Requires")).toEqual(
        app.dependsOn.map((d) => `${containerName(d)}.service`),
      );
      expect(values(unit, "Install", "WantedBy")).toEqual(["default.target"]);
    }
  });
});
