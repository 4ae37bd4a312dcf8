import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { readManifestText } from "@archy/reconciler";
import { CliError, EXIT } from "../cli-error.js";

/**
 * The text of the manifest `archy install FILE` names, read as the manifests
 * folder reads its files (a regular file: opening a pipe would block; at most
 * MAX_MANIFEST_BYTES, never read past it; UTF-8). A problem is an error
 * naming the file (exit 2).
 */
export async function readManifestArgument(file: string): Promise<string> {
  const path = resolve(file);
  if (!(await stat(path)).isFile())
    throw new CliError(`${file}: not a regular file (expected a manifest)`, EXIT.usage);
  const read = await readManifestText(path);
  if ("problem" in read) {
    const p = read.problem;
    throw new CliError(`${file}:${p.line}:${p.column}: ${p.message}`, EXIT.usage);
  }
  return read.text;
}
