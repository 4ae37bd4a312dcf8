// Loading a folder of manifests, checked across files. A file in the cache
// with the same inode, size and mtime is not read or parsed again; the YAML
// library and the schema (parse.ts) load only for one that is not, and the
// line and column of a problem across files (across-files.ts) only when there
// is one.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { crossCheck, type LoadResult, type ParseResult } from "./cross-check.js";

/** A parsed file and the `inode:size:mtime` it was parsed at. */
export interface ManifestCacheEntry {
  key: string;
  result: ParseResult;
}

/** Parsed manifests by file, for `loadManifests(dir, cache)`; a long-running caller keeps one. */
export type ManifestCache = Map<string, ManifestCacheEntry>;

/**
 * Loads every `*.yaml` / `*.yml` of a folder (sorted by name), then checks
 * across files: duplicate ids, unknown and cyclic `depends_on`. A bad file
 * never hides the good ones; an app whose dependency is invalid stays valid
 * (it will wait for it), one whose dependency does not exist anywhere does not.
 */
export async function loadManifests(dir: string, cache?: ManifestCache): Promise<LoadResult> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n) && !n.startsWith(".")).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { apps: [], errors: [], invalidIds: [] };
    throw error;
  }
  const parse = async (file: string) =>
    (await import("./parse.js")).parseManifest(await readFile(file, "utf8"), file);
  const parsed = await Promise.all(
    names.map(async (n) => {
      const file = join(dir, n);
      if (!cache) return parse(file);
      // A file whose inode, size and mtime are unchanged is not read or parsed again.
      const info = await stat(file);
      const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
      const hit = cache.get(file);
      if (hit && hit.key === key) return hit.result;
      const result = await parse(file);
      cache.set(file, { key, result });
      return result;
    }),
  );
  if (cache)
    for (const file of cache.keys())
      if (!names.some((n) => join(dir, n) === file)) cache.delete(file);
  return checkParsed(parsed);
}

/** `checkAcrossFiles`, loading the YAML library only to locate a problem across files. */
export async function checkParsed(parsed: ParseResult[]): Promise<LoadResult> {
  const check = crossCheck(parsed);
  if (check.problems.length > 0) return (await import("./across-files.js")).withPositions(check);
  return { apps: check.apps, errors: check.errors, invalidIds: check.invalidIds };
}
