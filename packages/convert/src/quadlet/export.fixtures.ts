// Shared by the Quadlet tests: the manifests they export and the golden
// files they compare with. Set UPDATE_GOLDEN=1 to rewrite the golden files.
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { loadManifests, type AppManifest } from "@archy/reconciler";
import { expect } from "vitest";
import type { QuadletFile } from "./export.js";

/** The repository's root: host paths in golden files read `<repo>` instead. */
export const REPO = fileURLToPath(new URL("../../../../", import.meta.url)).replace(/\/$/, "");

/** The folder the test exports are written to (EnvironmentFile= names it). */
export const OUT = "/etc/containers/systemd";

export const EXAMPLES = `${REPO}/examples/apps`;
export const MAXIMAL = fileURLToPath(new URL("./fixtures/maximal", import.meta.url));
/** Words and host paths a unit does carry (none refused). */
export const WORDS = fileURLToPath(new URL("./fixtures/words", import.meta.url));
/** Apps a unit cannot say as archy means them, and one that depends on one of them. */
export const REFUSED = fileURLToPath(new URL("./fixtures/refused", import.meta.url));

/** The valid apps of a manifests folder; fails the test on any manifest error. */
export async function loadApps(dir: string): Promise<AppManifest[]> {
  const { apps, errors } = await loadManifests(dir);
  expect(errors).toEqual([]);
  return apps;
}

const stable = (text: string) => text.split(REPO).join("<repo>");

/** Compares an export with `golden/<name>/`, file by file (names and contents). */
export async function expectGolden(name: string, files: readonly QuadletFile[]): Promise<void> {
  const dir = fileURLToPath(new URL(`./golden/${name}/`, import.meta.url));
  if (process.env.UPDATE_GOLDEN) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const f of files) await writeFile(`${dir}${f.name}`, stable(f.text));
  }
  expect(files.map((f) => f.name)).toEqual((await readdir(dir)).sort());
  for (const f of files)
    expect(stable(f.text), f.name).toBe(await readFile(`${dir}${f.name}`, "utf8"));
}
