// The bad-manifest corpus (bad-manifests.fixtures.ts) through the real
// loader: each case's exact errors, the good apps beside it still load, no
// error shows a secret, and loading stays linear in the file's size.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BAD_MANIFESTS, GOOD_IDS, SECRET, web, writeCase } from "./bad-manifests.fixtures.js";
import { loadManifests } from "./load.js";
import { parseManifest } from "./parse.js";
import { formatManifestError } from "./positions.js";

describe("the bad-manifest corpus", () => {
  let root: string;
  let dir: string;
  let outside: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "archy-corpus-"));
    dir = join(root, "apps");
    outside = join(root, "elsewhere");
    await Promise.all([mkdir(dir), mkdir(outside)]);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("holds at least 80 inputs", () => {
    expect(BAD_MANIFESTS.length).toBeGreaterThanOrEqual(80);
    expect(new Set(BAD_MANIFESTS.map((c) => c.name)).size).toBe(BAD_MANIFESTS.length);
  });

  it.each(BAD_MANIFESTS.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    await writeCase(dir, outside, c.files);
    const started = performance.now();
    const result = await loadManifests(dir);
    const elapsed = performance.now() - started;
    const shown = result.errors.map((e) =>
      formatManifestError(e).replaceAll(`${dir}/`, "").replaceAll(outside, "<outside>"),
    );
    expect(shown).toEqual(
      c.errors.map((e) => (typeof e === "string" ? e : expect.stringMatching(e))),
    );
    expect(result.apps.map((a) => a.id).sort()).toEqual([...GOOD_IDS, ...(c.valid ?? [])].sort());
    expect(JSON.stringify(result.errors)).not.toContain(SECRET);
    // Refused or loaded at once: no input may make the loader spin (a bomb expanded would take hours).
    expect(elapsed).toBeLessThan(10_000);
  });
});

describe("loading a large manifest", () => {
  /** A valid manifest with `n` env entries (about 19 bytes each). */
  const withEnv = (n: number) =>
    web({ container: Array.from({ length: n }, (_, i) => `      V${i}: ${i}\n`).join("") });
  /** CPU time of parsing `text`, the least of `runs` (the least is the one others disturbed least). */
  const cpuOf = (text: string, runs: number) => {
    let least = Infinity;
    for (let i = 0; i < runs; i++) {
      const before = process.cpuUsage();
      const result = parseManifest(text, "web.yaml");
      const used = process.cpuUsage(before);
      expect(result.errors).toEqual([]);
      least = Math.min(least, used.user + used.system);
    }
    return least;
  };

  it("takes time linear in its size: 4x the entries cost well under 16x (quadratic) the time", () => {
    const small = withEnv(12_000);
    const large = withEnv(48_000);
    // Large but allowed: just under the 1 MiB limit.
    expect(Buffer.byteLength(large)).toBeLessThan(1024 * 1024);
    expect(Buffer.byteLength(large)).toBeGreaterThan(900 * 1024);
    cpuOf(withEnv(2_000), 2); // warm the JIT
    const ratio = cpuOf(large, 2) / cpuOf(small, 2);
    // Linear measures about 4-5 here; the YAML library's duplicate-key check made it over 25.
    expect(ratio).toBeLessThan(12);
  }, 60_000);
});
