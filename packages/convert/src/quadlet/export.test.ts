import type { AppManifest } from "@archy/reconciler";
import { beforeAll, describe, expect, it } from "vitest";
import { ConvertError } from "../errors.js";
import { EXAMPLES, expectGolden, loadApps, MAXIMAL, OUT } from "./export.fixtures.js";
import { exportQuadlet, isQuadletFileOfArchy } from "./export.js";
import { escapeExpansion } from "./syntax.js";

let examples: AppManifest[];
let maximal: AppManifest[];
beforeAll(async () => {
  examples = await loadApps(EXAMPLES);
  maximal = await loadApps(MAXIMAL);
});

const app = (apps: AppManifest[], id: string) => apps.find((a) => a.id === id)!;

describe("exportQuadlet", () => {
  it("exports the three example apps (golden files)", async () => {
    const out = exportQuadlet(examples, { outDir: OUT });
    await expectGolden("examples", out.files);
    expect(out.minPodman).toBe("4.7");
  });

  it("exports a manifest with every field, and its dependencies (golden files)", async () => {
    const out = exportQuadlet(maximal, { outDir: OUT });
    await expectGolden("maximal", out.files);
    expect(out.minPodman).toBe("4.7");
  });

  it("is pure: the same apps give the same files, in any order", () => {
    const a = exportQuadlet(maximal, { outDir: OUT });
    expect(exportQuadlet([...maximal].reverse(), { outDir: OUT })).toEqual(a);
  });

  it("needs only podman 4.4 without health checks, named volumes or networks, 4.5 with a cmd check", () => {
    const web = app(examples, "web");
    expect(exportQuadlet([web], { outDir: OUT }).minPodman).toBe("4.4");
    const greeter = app(examples, "greeter");
    expect(exportQuadlet([greeter], { outDir: OUT }).minPodman).toBe("4.5");
  });

  it("writes resource limits as PodmanArgs= flags, which podman 4.4 has (PidsLimit= is 4.7, Memory= 5.5)", () => {
    const web = app(examples, "web");
    const limited: AppManifest = {
      ...web,
      container: {
        ...web.container,
        resources: {
          memoryBytes: 100_000_000,
          memoryReservationBytes: 64 * 1024 ** 2,
          cpus: 0.5,
          pids: 64,
        },
      },
    };
    for (const podman of [undefined, "4.4", "5.5"] as const) {
      const out = exportQuadlet([limited], { outDir: OUT, ...(podman ? { podman } : {}) });
      expect(out.minPodman).toBe("4.4");
      expect(out.files[0]!.text).toContain(
        "\nPodmanArgs=--memory=100000000b\nPodmanArgs=--memory-reservation=64m\nPodmanArgs=--cpus=0.5\nPodmanArgs=--pids-limit=64\n",
      );
    }
    const text = exportQuadlet([web], { outDir: OUT }).files[0]!.text;
    expect(text).not.toMatch(/--memory|--cpus|--pids-limit/);
  });

  it("never writes a secret value into a unit, and writes them to a 0600 env file", () => {
    const out = exportQuadlet([...examples, ...maximal], { outDir: OUT });
    const secrets = [
      "not-a-real-token",
      "not-a-real-password",
      "p@ss w0rd$%",
      " spaced secret ",
      "tok#en=1",
    ];
    for (const f of out.files.filter((f) => !f.name.endsWith(".env")))
      for (const s of secrets)
        for (const form of [s, s.trim(), escapeExpansion(s), JSON.stringify(s)])
          expect(f.text, `${f.name} holds ${s}`).not.toContain(form);
    const envFiles = out.files.filter((f) => f.name.endsWith(".env"));
    expect(envFiles.map((f) => [f.name, f.mode])).toEqual([
      ["archy-db.env", 0o600],
      ["archy-greeter.env", 0o600],
      ["archy-max.env", 0o600],
    ]);
    expect(out.files.filter((f) => f.mode !== undefined)).toEqual(envFiles);
    expect(out.files.find((f) => f.name === "archy-greeter.container")!.text).toContain(
      `EnvironmentFile=${OUT}/archy-greeter.env\n`,
    );
  });

  it("names the env file by its absolute path in the output folder", () => {
    const greeter = app(examples, "greeter");
    const out = exportQuadlet([greeter], { outDir: "/home/o w/.config/containers/systemd" });
    expect(out.files[0]!.text).toContain(
      'EnvironmentFile="/home/o w/.config/containers/systemd/archy-greeter.env"\n',
    );
  });

  it("writes one .volume / .network unit per name, however many apps use it", () => {
    const names = exportQuadlet(maximal, { outDir: OUT }).files.map((f) => f.name);
    expect(names.filter((n) => /\.(volume|network)$/.test(n))).toEqual([
      "archy-backend.network",
      "archy-db-data.volume",
      "archy-max-data.volume",
      "archy-shared-cache.volume",
    ]);
  });

  it("returns the notes of what the units cannot express, one per app and topic", () => {
    const { notes } = exportQuadlet(examples, { outDir: OUT });
    expect(notes.filter((n) => n.startsWith("web: "))).toEqual([
      expect.stringMatching(
        /^web: the http \(port 8080, path \/index\.html\) health check is not exported/,
      ),
      expect.stringMatching(
        /^web: pre_start hook `\.\.\/web\/prepare-rootfs\.sh` \(in .*\) must be run by hand/,
      ),
      expect.stringMatching(
        /^web: a \.container unit cannot build its image .*podman build -t localhost\/archy-example-web:1\.0 /,
      ),
    ]);
    expect(notes).toContainEqual(
      expect.stringMatching(/^clock: the tcp \(port 8081\) health check/),
    );
    for (const n of notes) expect(n).toMatch(/^[a-z0-9-]+: \S/);
  });

  it("notes a dependency that is not in the export (the unit still requires it)", () => {
    const clock = app(examples, "clock");
    const out = exportQuadlet([clock], { outDir: OUT });
    expect(out.notes).toContain(
      "clock: depends on web, which is not in this export: archy-web.service must exist.",
    );
    expect(out.files.find((f) => f.name === "archy-clock.container")!.text).toContain(
      "Requires=archy-web.service\nAfter=archy-web.service\n",
    );
  });

  it("refuses an app no unit can hold, naming it and the field, and exports the others", () => {
    const base = app(examples, "greeter");
    const web = app(examples, "web");
    const withEnv = (env: Record<string, string>): AppManifest => ({
      ...base,
      container: { ...base.container, env },
    });
    const refusedBy = (a: AppManifest) => {
      const out = exportQuadlet([a, web], { outDir: OUT });
      expect(out.files.map((f) => f.name)).toContain("archy-web.container");
      expect(out.files.some((f) => f.name.startsWith("archy-greeter."))).toBe(false);
      return out.refused.map((e) => [e.code, e.app, e.field]);
    };
    expect(refusedBy(withEnv({ DB_PASSWORD: "two\nlines" }))).toEqual([
      ["EUNSUPPORTED", "greeter", "container.env.DB_PASSWORD"],
    ]);
    expect(exportQuadlet([withEnv({ PLAIN: "two\nlines" })], { outDir: OUT }).refused).toEqual([]);
    const find = ["find", ".", "-exec", "rm", "{}", ";"];
    expect(refusedBy({ ...base, container: { ...base.container, command: find } })).toEqual([
      ["EUNSUPPORTED", "greeter", "container.command[5]"],
    ]);
    const badVolume = {
      ...base,
      container: { ...base.container, volumes: [{ source: "/srv/a\nb", target: "/x" }] },
    };
    expect(refusedBy(badVolume)).toEqual([["EUNSUPPORTED", "greeter", "container.volumes[0]"]]);
    const [error] = exportQuadlet([badVolume], { outDir: OUT }).refused;
    expect(ConvertError.isInstance(error)).toBe(true);
    expect(error!.message).toMatch(/^app greeter: container\.volumes\[0\] .*control character/);
    expect(() => exportQuadlet([base, base], { outDir: OUT })).toThrow(/same id/);
  });
});

describe("isQuadletFileOfArchy", () => {
  it("claims the files an export writes and nothing else", () => {
    const out = exportQuadlet([...examples, ...maximal], { outDir: OUT });
    for (const f of out.files) expect(isQuadletFileOfArchy(f.name), f.name).toBe(true);
    for (const name of [
      "web.container",
      "archy-web.service",
      "archy-web.kube",
      ".archy-web.container.123.abcdef.tmp",
      "archy-.container",
      "archy-web.container~",
      "notes.txt",
    ])
      expect(isQuadletFileOfArchy(name), name).toBe(false);
  });
});
