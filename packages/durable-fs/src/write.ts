import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import type { DurableFs } from "./types.js";

export interface WriteDurablyOptions {
  /** File mode of a new file; 0o600 by default. */
  mode?: number;
}

/**
 * A temporary name beside `path`: `.<name>.<pid>.<hex>.tmp`. Hidden, never
 * reused, and the PID tells a later writer whether the one that left it is
 * gone (see the snapshot store's sweep).
 */
export function tempPathFor(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
}

/** Creates `path` (EEXIST when it exists), writes `data` and fsyncs it. Its name is not yet durable. */
export async function writeNewFileSynced(
  fs: DurableFs,
  path: string,
  data: string | Uint8Array,
  mode = 0o600,
): Promise<void> {
  const file = await fs.create(path, mode);
  try {
    await file.write(data);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * Replaces `path` with `data` so that a crash or a power cut at any instant
 * leaves the old file or the new one, whole, and once this resolves the new
 * one: a temporary file is written and fsynced, renamed over `path`, and the
 * folder is fsynced.
 */
export async function writeFileDurably(
  fs: DurableFs,
  path: string,
  data: string | Uint8Array,
  opts: WriteDurablyOptions = {},
): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeNewFileSynced(fs, tmp, data, opts.mode ?? 0o600);
    await fs.rename(tmp, path);
  } catch (error) {
    await fs.unlink(tmp).catch(ignoreMissing);
    throw error;
  }
  await fs.fsyncDir(dirname(path));
}

/** Removes `path` (nothing to do when it is absent) so that the removal survives a power cut. */
export async function unlinkDurably(fs: DurableFs, path: string): Promise<void> {
  await fs.unlink(path).catch(ignoreMissing);
  await fs.fsyncDir(dirname(path));
}

/**
 * `mkdir -p` whose new folders survive a power cut: the parent of every
 * folder it created is fsynced.
 */
export async function makeDirDurably(fs: DurableFs, dir: string, mode = 0o700): Promise<void> {
  const first = await fs.mkdir(dir, mode);
  if (first === undefined) return;
  const created: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    created.push(d);
    if (d === first || dirname(d) === d) break;
  }
  // Parents first: each folder's own entry is made durable before its children's.
  for (const d of created.reverse()) await fs.fsyncDir(dirname(d));
}

/** For `.catch()`: an ENOENT is fine (already gone), anything else is rethrown. */
export function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
}
