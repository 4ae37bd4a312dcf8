// Helpers of the compose importer's tests: an inline compose file of folder
// /srv/stack imported, each manifest checked with archy's own parser.
import { expect } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "@archy/reconciler";
import { ConvertError } from "../errors.js";
import { importCompose, type ComposeImportResult } from "./import.js";

export const FILE = "/srv/stack/compose.yaml";

/** Imports an inline compose file of folder /srv/stack (no env files there). */
export async function imp(
  lines: string[],
  env: Record<string, string> = {},
): Promise<ComposeImportResult> {
  const r = await importCompose({ file: FILE, text: lines.join("\n") + "\n", env });
  for (const m of r.manifests)
    expect(parseManifest(m.text, `/etc/archy/apps/${m.fileName}`).errors).toEqual([]);
  return r;
}
export const app = (r: ComposeImportResult, i = 0) =>
  (
    parse(r.manifests[i]!.text) as {
      app: Record<string, unknown> & { container: Record<string, unknown>; hooks?: unknown };
    }
  ).app;
export const warned = (r: ComposeImportResult) => r.warnings.map((w) => w.path);
export async function failure(lines: string[]): Promise<ConvertError> {
  const error = await importCompose({ file: FILE, text: lines.join("\n") + "\n", env: {} }).catch(
    (e: unknown) => e,
  );
  if (!ConvertError.isInstance(error))
    throw new Error(`expected a ConvertError, got ${String(error)}`);
  return error;
}
