// Parsed manifests kept between processes, so a command that runs once (a
// `ps` or `up` without the daemon) reads its manifests without loading the
// YAML library and the schema: a JSON file in the state folder, 0600 (the
// manifests hold environment values), written atomically. An entry is used
// only for the same path with the same inode, size and mtime (load.ts); the
// whole file only when written by this very build of archy. A file that is
// missing, unreadable or not of that shape counts as empty.
import { randomBytes } from "node:crypto";
import { readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pkg from "../../package.json" with { type: "json" };
import type { ManifestCache, ManifestCacheEntry } from "./load.js";

/** The cache's file name in the state folder. */
export const MANIFEST_CACHE_FILE = "manifests.cache.json";

const FORMAT = 1;

interface CacheFile {
  format: number;
  build: string;
  entries: Record<string, { key: string; result: unknown }>;
}

let buildStamp: Promise<string | null> | null = null;

/**
 * Which build of archy this is: the package version and the size and mtime of
 * the code file running this module (rewritten by every build; npm gives
 * every file of a version the same mtime, hence the version). Null when the
 * code is not a file: no cache then.
 */
function currentBuild(): Promise<string | null> {
  buildStamp ??= (async () => {
    if (!import.meta.url.startsWith("file:")) return null;
    const info = await stat(fileURLToPath(import.meta.url)).catch(() => null);
    return info ? `${pkg.version}:${info.size}:${info.mtimeMs}` : null;
  })();
  return buildStamp;
}

/** The shape of an entry, not its contents: those are archy's own, written by this build. */
const isEntry = (v: unknown): v is ManifestCacheEntry => {
  const e = v as { key?: unknown; result?: { app?: unknown; errors?: unknown; file?: unknown } };
  return (
    typeof e === "object" &&
    e !== null &&
    typeof e.key === "string" &&
    typeof e.result === "object" &&
    e.result !== null &&
    typeof e.result.file === "string" &&
    Array.isArray(e.result.errors) &&
    typeof e.result.app === "object"
  );
};

/** The cache as this build wrote it to `file`; empty when missing, corrupt or from another build. */
export async function readManifestCache(file: string): Promise<ManifestCache> {
  const cache: ManifestCache = new Map();
  const build = await currentBuild();
  if (build === null) return cache;
  let data: CacheFile;
  try {
    data = JSON.parse(await readFile(file, "utf8")) as CacheFile;
  } catch {
    return cache;
  }
  if (
    typeof data !== "object" ||
    data === null ||
    data.format !== FORMAT ||
    data.build !== build ||
    typeof data.entries !== "object" ||
    data.entries === null
  )
    return cache;
  for (const [path, entry] of Object.entries(data.entries))
    if (isEntry(entry)) cache.set(path, entry);
  return cache;
}

/** Writes the cache to `file` (0600, atomically); nothing when this build cannot be told. */
export async function writeManifestCache(file: string, cache: ManifestCache): Promise<void> {
  const build = await currentBuild();
  if (build === null) return;
  const data: CacheFile = { format: FORMAT, build, entries: Object.fromEntries(cache) };
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, JSON.stringify(data), { mode: 0o600 });
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}
