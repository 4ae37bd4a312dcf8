// One manifest file of the folder, read with bounds and before any YAML: a
// symbolic link that leads out of the folder, a folder, pipe or device named
// `*.yaml`, a file over MAX_MANIFEST_BYTES, or one that cannot be read is a
// problem of that file alone. A file is never read past the limit, whatever
// its size says.
import { lstat, open, realpath, stat } from "node:fs/promises";
import { relative, isAbsolute } from "node:path";
import { manifestText, MAX_MANIFEST_BYTES, tooLarge, type TextProblem } from "./limits.js";

export interface ManifestFile {
  /** `inode:size:mtime`: the cache key. */
  key: string;
  /** The bytes, at most MAX_MANIFEST_BYTES (a file that grew past it since is a problem). */
  read(): Promise<Uint8Array | TextProblem>;
}

const problem = (message: string): TextProblem => ({ line: 1, column: 1, message });

const errorText = (error: unknown) => {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.code}${e.syscall ? ` (${e.syscall})` : ""}` : String(e.message ?? e);
};

const inside = (folder: string, path: string) => {
  const r = relative(folder, path);
  return r !== "" && !r.startsWith("..") && !isAbsolute(r);
};

async function readBounded(file: string): Promise<Uint8Array | TextProblem> {
  const fh = await open(file, "r");
  try {
    const buffer = Buffer.alloc(MAX_MANIFEST_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_MANIFEST_BYTES) return tooLarge((await fh.stat()).size);
    }
    return buffer.subarray(0, length);
  } finally {
    await fh.close();
  }
}

/**
 * The text of one manifest file, read as the folder's files are: never past
 * MAX_MANIFEST_BYTES, UTF-8 (a BOM dropped). A problem names its line and
 * column; the file's own errors (ENOENT, EISDIR, ...) are thrown.
 */
export async function readManifestText(
  file: string,
): Promise<{ text: string } | { problem: TextProblem }> {
  const bytes = await readBounded(file);
  return bytes instanceof Uint8Array ? manifestText(bytes) : { problem: bytes };
}

/**
 * What the folder's entry `file` is: a manifest to read (with its cache key),
 * a problem, or null when it vanished since the folder was listed.
 * `realDir` is the folder's real path.
 */
export async function inspectManifestFile(
  file: string,
  realDir: string,
): Promise<ManifestFile | TextProblem | null> {
  try {
    const link = await lstat(file);
    if (link.isSymbolicLink()) {
      const target = await realpath(file).catch((e: NodeJS.ErrnoException) =>
        e.code === "ENOENT" || e.code === "ELOOP" ? null : Promise.reject(e),
      );
      if (target === null) return problem("a symbolic link to nothing (its target does not exist)");
      if (!inside(realDir, target))
        return problem(
          `a symbolic link to ${target}, outside the manifests folder: archy reads only manifests inside it (copy the file in)`,
        );
    }
    const info = await stat(file);
    if (!info.isFile())
      return problem("not a regular file (a folder, pipe or device named like a manifest)");
    if (info.size > MAX_MANIFEST_BYTES) return tooLarge(info.size);
    return { key: `${info.ino}:${info.size}:${info.mtimeMs}`, read: () => readBounded(file) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    return problem(`cannot read the file: ${errorText(error)}`);
  }
}

export { errorText as fileErrorText };
