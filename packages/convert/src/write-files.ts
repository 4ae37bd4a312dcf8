// Writes a set of generated files into one folder: each atomically and only
// when its content changed, and says what happened to each.
import { join } from "node:path";
import {
  ignoreMissing,
  makeDirDurably,
  nodeFs,
  unlinkDurably,
  writeFileDurably,
  type DurableFs,
} from "@archy/durable-fs";
import { ConvertError } from "./errors.js";

export interface GeneratedFile {
  /** A plain file name (no folder). */
  name: string;
  text: string;
  /** Mode of a new file; 0o644 unless given (0o600 for files holding secrets). */
  mode?: number;
}

export type WriteStatus = "created" | "changed" | "unchanged" | "removed";

export interface WrittenFile {
  /** Absolute or as given: `join(dir, name)`. */
  path: string;
  status: WriteStatus;
}

export interface WriteFilesOptions {
  /** Replace a file whose content differs (otherwise EEXISTS, and nothing is written). */
  force?: boolean;
  /**
   * Remove the files of `dir` this predicate claims (for example `.container`
   * units archy wrote) that are not among `files`.
   */
  prune?: (name: string) => boolean;
  fs?: DurableFs;
}

const SAFE_NAME = /^[A-Za-z0-9@_][A-Za-z0-9@._-]*$/;

async function readIfExists(fs: DurableFs, path: string): Promise<string | null> {
  try {
    return await fs.readFile(path);
  } catch (error) {
    ignoreMissing(error);
    return null;
  }
}

const outputError = (dir: string, error: unknown) =>
  new ConvertError(
    "EOUTPUT",
    `cannot write into ${dir}: ${(error as Error).message.replace(/^[A-Z]+: /, "")}`,
    { cause: error },
  );

/**
 * Writes `files` into `dir` (created when missing). Every file is checked
 * before any is written: without `force`, one that exists with other content
 * fails the whole call with EEXISTS and nothing changes. Each write is
 * durable and atomic (old or new content after a crash, never a mix).
 */
export async function writeFiles(
  dir: string,
  files: readonly GeneratedFile[],
  opts: WriteFilesOptions = {},
): Promise<WrittenFile[]> {
  const fs = opts.fs ?? nodeFs;
  const names = new Set<string>();
  for (const f of files) {
    if (!SAFE_NAME.test(f.name))
      throw new ConvertError("EOUTPUT", `refusing to write a file named ${JSON.stringify(f.name)}`);
    // Two contents for one name: the second would silently win.
    if (names.has(f.name))
      throw new ConvertError("EOUTPUT", `two files named ${JSON.stringify(f.name)} to write`);
    names.add(f.name);
  }
  const current = new Map<string, string | null>();
  try {
    for (const f of files) current.set(f.name, await readIfExists(fs, join(dir, f.name)));
  } catch (error) {
    throw outputError(dir, error);
  }
  const conflicts = files.filter((f) => {
    const now = current.get(f.name);
    return now !== null && now !== undefined && now !== f.text;
  });
  if (conflicts.length > 0 && !opts.force)
    throw new ConvertError(
      "EEXISTS",
      `${conflicts.map((f) => join(dir, f.name)).join(", ")} already exist${conflicts.length === 1 ? "s" : ""} with other content; --force replaces ${conflicts.length === 1 ? "it" : "them"}`,
    );

  const out: WrittenFile[] = [];
  try {
    await makeDirDurably(fs, dir, 0o755);
    for (const f of files) {
      const path = join(dir, f.name);
      const now = current.get(f.name);
      if (now === f.text) {
        out.push({ path, status: "unchanged" });
        continue;
      }
      await writeFileDurably(fs, path, f.text, { mode: f.mode ?? 0o644 });
      out.push({ path, status: now === null ? "created" : "changed" });
    }
    if (opts.prune) {
      const keep = new Set(files.map((f) => f.name));
      for (const name of (await fs.readdir(dir)).sort()) {
        if (keep.has(name) || !opts.prune(name)) continue;
        await unlinkDurably(fs, join(dir, name));
        out.push({ path: join(dir, name), status: "removed" });
      }
    }
  } catch (error) {
    throw outputError(dir, error);
  }
  return out;
}
