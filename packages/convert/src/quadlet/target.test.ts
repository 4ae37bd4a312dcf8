// Units for a named podman: every key they use is one it knows, what it
// lacks is said, and below 4.4 (no Quadlet) the export is refused.
import type { AppManifest } from "@archy/reconciler";
import { beforeAll, describe, expect, it } from "vitest";
import { ConvertError } from "../errors.js";
import { parsePodmanVersion } from "../target.js";
import { EXAMPLES, loadApps, MAXIMAL, OUT, WORDS } from "./export.fixtures.js";
import { exportQuadlet } from "./export.js";
import { compareVersions, QUADLET_KEYS, type PodmanVersion } from "./keys.js";
import { keySince, keyUses } from "./min-version.js";
import { parseUnit } from "./parse.js";

let apps: AppManifest[];
beforeAll(async () => {
  apps = [...(await loadApps(EXAMPLES)), ...(await loadApps(MAXIMAL)), ...(await loadApps(WORDS))];
});

const RELEASES = [
  ...new Set(Object.values(QUADLET_KEYS).flatMap((keys) => Object.values(keys))),
].sort(compareVersions);

describe("parsePodmanVersion", () => {
  it.each([
    ["5.4.2", "5.4"],
    ["4.3.1", "4.3"],
    ["v4.9", "4.9"],
    ["4.9.3-dev", "4.9"],
    ["5.0.0-rc1", "5.0"],
    ["podman version 4.3.1", "4.3"],
    [" 10.12.0 \n", "10.12"],
  ])("%j is %s", (text, version) => expect(parsePodmanVersion(text)).toBe(version));
  it.each(["", "5", "five", "5.x", "4.3.1.2", "-5.4"])("%j is not a version", (text) =>
    expect(parsePodmanVersion(text)).toBeUndefined(),
  );
});

describe("exportQuadlet for a target podman", () => {
  it("refuses a podman without Quadlet (before 4.4)", () => {
    const error = (() => {
      try {
        exportQuadlet(apps, { outDir: OUT, podman: "4.3" });
      } catch (e) {
        return e;
      }
    })();
    expect(ConvertError.isInstance(error) && error.code).toBe("EUNSUPPORTED");
    expect((error as Error).message).toMatch(
      /^podman 4\.3 has no Quadlet: it came with podman 4\.4/,
    );
  });

  it.each(RELEASES)("podman %s: every key of every unit is one it knows", (target) => {
    const out = exportQuadlet(apps, { outDir: OUT, podman: target });
    expect(compareVersions(out.minPodman, target)).toBeLessThanOrEqual(0);
    for (const f of out.files.filter((f) => !f.name.endsWith(".env")))
      for (const use of keyUses(parseUnit(f.text)))
        expect(
          compareVersions(keySince(use.section, use.key)!, target),
          `${f.name} [${use.section}] ${use.key}=`,
        ).toBeLessThanOrEqual(0);
  });

  it("says what each target lacks, key by key", () => {
    const lacks = (podman: PodmanVersion) =>
      exportQuadlet(apps, { outDir: OUT, podman }).lacks.map((l) => l.replace(/:.*/, ""));
    expect(lacks("4.4")).toEqual([
      "podman 4.4 lacks HealthCmd= (and every Health*= key) (podman 4.5)",
      "podman 4.4 lacks NetworkName= (podman 4.7)",
      "podman 4.4 lacks VolumeName= (podman 4.7)",
    ]);
    expect(lacks("4.6")).toEqual([
      "podman 4.6 lacks NetworkName= (podman 4.7)",
      "podman 4.6 lacks VolumeName= (podman 4.7)",
    ]);
    expect(lacks("4.7")).toEqual([]);
    expect(exportQuadlet(apps, { outDir: OUT }).lacks).toEqual([]);
  });

  it("before 4.7: volumes and networks by their names, no .volume/.network units; the unit says to create the network", () => {
    const out = exportQuadlet(apps, { outDir: OUT, podman: "4.6" });
    expect(out.files.filter((f) => /\.(volume|network)$/.test(f.name))).toEqual([]);
    const max = out.files.find((f) => f.name === "archy-max.container")!.text;
    expect(max).toContain("Volume=max-data:/data\nVolume=shared-cache:/cache:ro\n");
    expect(max).toContain("Network=backend\n");
    expect(max).toMatch(/^# Note: podman 4\.6 lacks NetworkName= .*podman network create backend/m);
    expect(out.lacks.join("\n")).toMatch(
      /the named volumes clock-data, db-data, max-data, shared-cache are written/,
    );
  });

  it("before 4.5: the health check as podman flags", () => {
    const out = exportQuadlet(apps, { outDir: OUT, podman: "4.4" });
    const greeter = out.files.find((f) => f.name === "archy-greeter.container")!.text;
    expect(greeter).not.toMatch(/^Health/m);
    expect(greeter).toMatch(/^PodmanArgs="--health-cmd=\[.*\]"$/m);
    expect(greeter).toContain("PodmanArgs=--health-on-failure=kill\n");
    expect(out.minPodman).toBe("4.4");
  });

  it("from 4.7 on: the same units as without a target", () => {
    const plain = exportQuadlet(apps, { outDir: OUT });
    for (const podman of ["4.7", "5.4", "9.0"] as const)
      expect(exportQuadlet(apps, { outDir: OUT, podman }).files).toEqual(plain.files);
  });
});
