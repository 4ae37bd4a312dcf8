// Loading a folder of manifests, checked across files. A file in the cache
// with the same inode, size and mtime is not read or parsed again; the YAML
// library and the schema (parse.ts) load only for one that is not, and the
// line and column of a problem across files (across-files.ts) only when there
// is one.
import { readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { crossCheck, type LoadResult, type ParseResult } from "./cross-check.js";
import { manifestText, type TextProblem } from "./limits.js";
import { fileErrorText, inspectManifestFile } from "./read-file.js";

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
 * Only a folder that cannot be listed throws: whatever is wrong with one file
 * (unreadable, too large, not UTF-8, not YAML, a symbolic link out of the
 * folder) is that file's error.
 */
export async function loadManifests(dir: string, cache?: ManifestCache): Promise<LoadResult> {
  let names: string[];
  let realDir: string;
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n) && !n.startsWith(".")).sort();
    realDir = await realpath(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { apps: [], errors: [], invalidIds: [] };
    throw error;
  }
  const parsed = await mapBounded(names, READ_CONCURRENCY, (n) =>
    loadFile(join(dir, n), realDir, cache),
  );
  if (cache) {
    const present = new Set(names.map((n) => join(dir, n)));
    for (const file of cache.keys()) if (!present.has(file)) cache.delete(file);
  }
  return checkParsed(parsed.filter((p): p is ParseResult => p !== null));
}

/** Files read at once: a folder of thousands of manifests never runs out of file descriptors. */
const READ_CONCURRENCY = 16;

async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>) {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const problemResult = (file: string, p: TextProblem): ParseResult => ({
  app: null,
  errors: [{ file, ...p, path: "" }],
  file,
});

/**
 * One file of the folder, through the cache: never throws, a file that
 * cannot be read or parsed is that file's error. Null when it vanished.
 */
async function loadFile(
  file: string,
  realDir: string,
  cache: ManifestCache | undefined,
): Promise<ParseResult | null> {
  try {
    const found = await inspectManifestFile(file, realDir);
    if (found === null) return null;
    if (!("key" in found)) return problemResult(file, found);
    // A file whose inode, size and mtime are unchanged is not read or parsed again.
    const hit = cache?.get(file);
    if (hit && hit.key === found.key) return hit.result;
    const bytes = await found.read();
    const decoded = bytes instanceof Uint8Array ? manifestText(bytes) : { problem: bytes };
    const result =
      "problem" in decoded
        ? problemResult(file, decoded.problem)
        : (await import("./parse.js")).parseManifest(decoded.text, file);
    cache?.set(file, { key: found.key, result });
    return result;
  } catch (error) {
    // Vanished while read, unreadable, or a defect for this one file: the others load all the same.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    return problemResult(file, {
      line: 1,
      column: 1,
      message: `cannot read the file: ${fileErrorText(error)}`,
    });
  }
}

/** `checkAcrossFiles`, loading the YAML library only to locate a problem across files. */
export async function checkParsed(parsed: ParseResult[]): Promise<LoadResult> {
  const check = crossCheck(parsed);
  if (check.problems.length > 0) return (await import("./across-files.js")).withPositions(check);
  return { apps: check.apps, errors: check.errors, invalidIds: check.invalidIds };
}
