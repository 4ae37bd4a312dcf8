import { open, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { manifestText, MAX_MANIFEST_BYTES } from "@archy/reconciler";
import { CliError, EXIT } from "../cli-error.js";

const tooLarge = (file: string, bytes: number) =>
  new CliError(
    `${file}:1:1: the file is ${bytes} bytes, more than the limit of ${MAX_MANIFEST_BYTES} bytes (1 MiB) for one manifest`,
    EXIT.usage,
  );

/**
 * The text of the manifest `archy install FILE` names, read as the manifests
 * folder reads its files: a regular file (opening a pipe would block), at
 * most MAX_MANIFEST_BYTES (never read past it), UTF-8. A problem is an
 * error naming the file (exit 2).
 */
export async function readManifestArgument(file: string): Promise<string> {
  const path = resolve(file);
  const info = await stat(path);
  if (!info.isFile())
    throw new CliError(`${file}: not a regular file (expected a manifest)`, EXIT.usage);
  if (info.size > MAX_MANIFEST_BYTES) throw tooLarge(file, info.size);
  const fh = await open(path, "r");
  try {
    const buffer = Buffer.alloc(MAX_MANIFEST_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_MANIFEST_BYTES) throw tooLarge(file, (await fh.stat()).size);
    }
    const decoded = manifestText(buffer.subarray(0, length));
    if ("problem" in decoded) {
      const p = decoded.problem;
      throw new CliError(`${file}:${p.line}:${p.column}: ${p.message}`, EXIT.usage);
    }
    return decoded.text;
  } finally {
    await fh.close();
  }
}
