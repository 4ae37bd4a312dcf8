import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadManifests } from "./load.js";
import { formatManifestError } from "./positions.js";

const minimal = (id: string, extra = "") =>
  `app:\n  id: ${id}\n  name: ${id}\n  version: "1"\n  container:\n    image: localhost/${id}:1\n${extra}`;

describe("loadManifests", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "archy-manifests-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("one bad file never hides the good ones; duplicates, unknown and cyclic deps are errors", async () => {
    await writeFile(join(dir, "a.yaml"), minimal("a"));
    await writeFile(
      join(dir, "b.yml"),
      minimal("b").replace("  container:", "  depends_on: [a]\n  container:"),
    );
    await writeFile(join(dir, "broken.yaml"), minimal("broken", "    nope: 1\n"));
    await writeFile(
      join(dir, "c.yaml"),
      minimal("c").replace("  container:", "  depends_on: [broken]\n  container:"),
    );
    await writeFile(join(dir, "dup.yaml"), minimal("a"));
    await writeFile(
      join(dir, "x.yaml"),
      minimal("x").replace("  container:", "  depends_on: [y]\n  container:"),
    );
    await writeFile(
      join(dir, "y.yaml"),
      minimal("y").replace("  container:", "  depends_on: [x]\n  container:"),
    );
    await writeFile(
      join(dir, "z.yaml"),
      minimal("z").replace("  container:", "  depends_on: [nobody, a]\n  container:"),
    );
    await writeFile(join(dir, "notes.txt"), "not a manifest");
    const { apps, errors, invalidIds } = await loadManifests(dir);
    expect(apps.map((a) => a.id).sort()).toEqual(["a", "b", "c"]);
    const text = errors.map(formatManifestError);
    expect(text).toContainEqual(
      expect.stringMatching(/broken.yaml:7:5: app.container.nope: unknown key "nope"/),
    );
    expect(text).toContainEqual(
      expect.stringMatching(
        /dup.yaml:2:7: app.id: duplicate app id "a" \(already declared in .*a.yaml\)/,
      ),
    );
    expect(text).toContainEqual(
      expect.stringMatching(/z.yaml:5:16: app.depends_on\[0\]: unknown app "nobody"/),
    );
    expect(text).toContainEqual(
      expect.stringMatching(/x.yaml:5:16: app.depends_on\[0\]: dependency cycle: x -> y -> x/),
    );
    expect(text).toContainEqual(
      expect.stringMatching(/y.yaml:5:16: app.depends_on\[0\]: dependency cycle: x -> y -> x/),
    );
    expect(invalidIds.sort()).toEqual(["broken", "x", "y", "z"]);
  });

  it("with a cache, unchanged files are not parsed again; changed and removed files are seen", async () => {
    const cache = new Map();
    await writeFile(join(dir, "a.yaml"), minimal("a"));
    await writeFile(join(dir, "b.yaml"), minimal("b"));
    const first = await loadManifests(dir, cache);
    const again = await loadManifests(dir, cache);
    expect(again.apps[0]).toBe(first.apps[0]);
    await writeFile(join(dir, "a.yaml"), minimal("a", '    env: { X: "1" }\n'));
    await rm(join(dir, "b.yaml"));
    const changed = await loadManifests(dir, cache);
    expect(changed.apps.map((a) => [a.id, a.container.env])).toEqual([["a", { X: "1" }]]);
    expect([...cache.keys()]).toEqual([join(dir, "a.yaml")]);
  });

  it("a missing folder is no apps", async () => {
    expect(await loadManifests(join(dir, "nope"))).toEqual({
      apps: [],
      errors: [],
      invalidIds: [],
    });
  });
});
