import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManifestsFolder } from "./folder.js";
import { silentLogger } from "../types.js";
import { MANIFEST_CACHE_FILE, readManifestCache, writeManifestCache } from "./cache.js";
import { loadManifests, type ManifestCache } from "./load.js";
import { formatManifestError } from "./positions.js";

const minimal = (id: string, extra = "") =>
  `app:\n  id: ${id}\n  name: ${id}\n  version: "1"\n  container:\n    image: localhost/${id}:1\n${extra}`;

describe("the manifest cache file", () => {
  let dir: string;
  let apps: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "archy-manifest-cache-"));
    apps = join(dir, "apps");
    await mkdir(apps);
    file = join(dir, MANIFEST_CACHE_FILE);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips what loadManifests cached, 0600, leaving no temporary file", async () => {
    await writeFile(join(apps, "a.yaml"), minimal("a", '    env: { TOKEN: "x" }\n'));
    await writeFile(join(apps, "bad.yaml"), minimal("bad", "    nope: 1\n"));
    const cache: ManifestCache = new Map();
    await loadManifests(apps, cache);
    await writeManifestCache(file, cache);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["apps", MANIFEST_CACHE_FILE]);
    expect(await readManifestCache(file)).toEqual(cache);
  });

  it.each([
    ["missing", null],
    ["not JSON", "{"],
    ["not an object", "[]"],
    ["of another format", JSON.stringify({ format: 0, build: "x", entries: {} })],
    ["of another build", JSON.stringify({ format: 1, build: "0.0.0:1:2", entries: {} })],
  ])("is empty when the file is %s", async (_label, text) => {
    if (text !== null) await writeFile(file, text);
    expect((await readManifestCache(file)).size).toBe(0);
  });

  it("drops entries not of the shape it writes", async () => {
    await writeFile(join(apps, "a.yaml"), minimal("a"));
    const cache: ManifestCache = new Map();
    await loadManifests(apps, cache);
    await writeManifestCache(file, cache);
    const data = JSON.parse(await readFile(file, "utf8")) as {
      entries: Record<string, unknown>;
    };
    data.entries["/x/no-key.yaml"] = { result: { app: null, errors: [], file: "x" } };
    data.entries["/x/no-result.yaml"] = { key: "1:2:3" };
    data.entries["/x/null.yaml"] = null;
    await writeFile(file, JSON.stringify(data));
    expect([...(await readManifestCache(file)).keys()]).toEqual([join(apps, "a.yaml")]);
  });
});

describe("ManifestsFolder with a state folder", () => {
  let dir: string;
  let apps: string;
  let state: string;
  const folder = () => new ManifestsFolder(apps, undefined, silentLogger, { stateDir: state });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "archy-manifest-cache-"));
    apps = join(dir, "apps");
    state = join(dir, "state");
    await mkdir(apps);
    await mkdir(state, { mode: 0o700 });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Marks every cached app's name, to tell an answer from the cache from a parse. */
  async function markCache(): Promise<void> {
    const path = join(state, MANIFEST_CACHE_FILE);
    const data = JSON.parse(await readFile(path, "utf8")) as {
      entries: Record<string, { result: { app: { name: string } | null } }>;
    };
    for (const e of Object.values(data.entries)) if (e.result.app) e.result.app.name += " (cached)";
    await writeFile(path, JSON.stringify(data));
  }

  it("a new process reads unchanged files from the cache and parses changed ones", async () => {
    await writeFile(join(apps, "a.yaml"), minimal("a"));
    await writeFile(join(apps, "b.yaml"), minimal("b"));
    const first = await folder().reload();
    expect(first.apps.map((a) => a.name)).toEqual(["a", "b"]);
    await markCache();

    expect((await folder().reload()).apps.map((a) => a.name)).toEqual(["a (cached)", "b (cached)"]);

    const later = new Date(Date.now() + 5_000);
    await utimes(join(apps, "b.yaml"), later, later);
    await writeFile(join(apps, "c.yaml"), minimal("c"));
    expect((await folder().reload()).apps.map((a) => a.name)).toEqual(["a (cached)", "b", "c"]);
    // What changed was written back: the next process finds every file in the cache.
    await markCache();
    expect((await folder().reload()).apps.map((a) => a.name)).toEqual([
      "a (cached) (cached)",
      "b (cached)",
      "c (cached)",
    ]);
  });

  it("keeps invalid files' errors, and still locates problems across files", async () => {
    await writeFile(join(apps, "a.yaml"), minimal("a", "    nope: 1\n"));
    await writeFile(
      join(apps, "b.yaml"),
      minimal("b").replace("  container:", "  depends_on: [nobody]\n  container:"),
    );
    const expected = [
      `${join(apps, "a.yaml")}:7:5: app.container.nope: unknown key "nope"`,
      `${join(apps, "b.yaml")}:5:16: app.depends_on[0]: unknown app "nobody"`,
    ];
    expect((await folder().reload()).errors.map(formatManifestError)).toEqual(expected);
    expect((await folder().reload()).errors.map(formatManifestError)).toEqual(expected);
  });

  it("ignores a corrupt cache file and writes a good one", async () => {
    await writeFile(join(apps, "a.yaml"), minimal("a"));
    await writeFile(join(state, MANIFEST_CACHE_FILE), "{ not json");
    expect((await folder().reload()).apps.map((a) => a.id)).toEqual(["a"]);
    expect((await readManifestCache(join(state, MANIFEST_CACHE_FILE))).size).toBe(1);
  });

  it("goes on without the cache when the state folder cannot take it", async () => {
    await writeFile(join(apps, "a.yaml"), minimal("a"));
    const missing = new ManifestsFolder(apps, undefined, silentLogger, {
      stateDir: join(dir, "nope"),
    });
    expect((await missing.reload()).apps.map((a) => a.id)).toEqual(["a"]);
  });
});
