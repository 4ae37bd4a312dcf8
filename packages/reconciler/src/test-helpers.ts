// Helpers for this package's unit tests (not exported from the package).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseManifest, type AppManifest } from "./manifest.js";

export interface AppOptions {
  deps?: string[];
  policy?: "always" | "on-failure" | "no";
  health?: string;
  hooks?: string[][];
  configFiles?: string[];
  env?: Record<string, string>;
  dir?: string;
  image?: string;
  backoff?: string;
}

/** An app manifest parsed from YAML, as a user would write it. */
export function makeApp(id: string, o: AppOptions = {}): AppManifest {
  const lines = [
    "app:",
    `  id: ${id}`,
    `  name: ${id}`,
    '  version: "1"',
    ...(o.deps ? [`  depends_on: [${o.deps.join(", ")}]`] : []),
    "  container:",
    `    image: ${o.image ?? `localhost/${id}:1`}`,
    "    stop_timeout: 1s",
    ...(o.env ? [`    env: ${JSON.stringify(o.env)}`] : []),
    ...(o.health ? [`    healthcheck: ${o.health}`] : []),
    ...(o.policy || o.backoff
      ? [
          `  restart: { ${[o.policy ? `policy: ${o.policy}` : "", o.backoff ? `backoff: ${o.backoff}` : ""].filter(Boolean).join(", ")} }`,
        ]
      : []),
    ...(o.hooks ? [`  hooks: { pre_start: ${JSON.stringify(o.hooks)} }`] : []),
    ...(o.configFiles ? [`  config_files: ${JSON.stringify(o.configFiles)}`] : []),
  ];
  const r = parseManifest(lines.join("\n") + "\n", join(o.dir ?? "/tmp", `${id}.yaml`));
  if (!r.app) throw new Error(r.errors.map((e) => e.message).join("; "));
  return r.app;
}

export async function tempState(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "archy-reconciler-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
