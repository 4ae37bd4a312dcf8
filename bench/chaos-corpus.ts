// The bad-manifest corpus of issue 10 (packages/reconciler/src/manifest/
// bad-manifests.fixtures.ts) through the real loader, outside the test
// runner: each case's exact errors, the good apps beside it still loaded, no
// secret in an error. The API cases (packages/cli/src/daemon/api-abuse.test.ts)
// and the CLI cases (packages/cli/test/bad-input.int.test.ts) run in their
// test suites only.
//
//   bash scripts/pnpm.sh exec tsx bench/chaos-corpus.ts
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  BAD_MANIFESTS,
  GOOD_IDS,
  SECRET,
  writeCase,
} from "../packages/reconciler/src/manifest/bad-manifests.fixtures.js";
import { loadManifests } from "../packages/reconciler/src/manifest/load.js";
import { formatManifestError } from "../packages/reconciler/src/manifest/positions.js";

export interface CorpusFigures {
  /** Bad inputs run. */
  inputs: number;
  /** Inputs whose errors, loaded apps or secrecy were not as the corpus says. */
  failures: number;
  /** The names of those. */
  failed: string[];
  /** The slowest input's load time. */
  slowestMs: number;
}

export async function badManifestCorpus(): Promise<CorpusFigures> {
  const failed: string[] = [];
  let slowestMs = 0;
  for (const c of BAD_MANIFESTS) {
    const root = await mkdtemp(join(tmpdir(), "archy-corpus-bench-"));
    try {
      const dir = join(root, "apps");
      const outside = join(root, "elsewhere");
      await Promise.all([mkdir(dir), mkdir(outside)]);
      await writeCase(dir, outside, c.files);
      const started = performance.now();
      const result = await loadManifests(dir);
      slowestMs = Math.max(slowestMs, performance.now() - started);
      const shown = result.errors.map((e) =>
        formatManifestError(e).replaceAll(`${dir}/`, "").replaceAll(outside, "<outside>"),
      );
      const ids = result.apps.map((a) => a.id).sort();
      const ok =
        shown.length === c.errors.length &&
        shown.every((s, i) => {
          const want = c.errors[i]!;
          return typeof want === "string" ? s === want : want.test(s);
        }) &&
        JSON.stringify(ids) === JSON.stringify([...GOOD_IDS, ...(c.valid ?? [])].sort()) &&
        !JSON.stringify(result.errors).includes(SECRET);
      if (!ok) failed.push(c.name);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  return { inputs: BAD_MANIFESTS.length, failures: failed.length, failed, slowestMs };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const figures = await badManifestCorpus();
  console.log(JSON.stringify(figures, null, 2));
  process.exitCode = figures.failures === 0 ? 0 : 1;
}
