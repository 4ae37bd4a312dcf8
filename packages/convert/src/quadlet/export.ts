// `archy export quadlet`: the unit files of a set of apps, ready for
// writeFiles. Pure: nothing is read or written here.
import { join, resolve } from "node:path";
import { containerName, type AppManifest } from "@archy/reconciler";
import { ConvertError } from "../errors.js";
import { targetLacks } from "../target.js";
import { compareVersions, QUADLET_SINCE, type PodmanVersion } from "./keys.js";
import { quadletRefusals, refusal } from "./limits.js";
import { lackSentences } from "./lacks.js";
import { minPodmanFor, versionLine, type KeyUse } from "./min-version.js";
import { renderContainer, renderEnvFile, type RenderedContainer } from "./render.js";
import { bodyKeyUses, formatUnit, type UnitBuilder } from "./unit-text.js";
import { networkUnit, networkUnitName, volumeUnit, volumeUnitName } from "./units.js";

export interface QuadletFile {
  /** `archy-web.container`, `archy-clock-data.volume`, `archy-greeter.env`, ... */
  name: string;
  text: string;
  /** 0o600 for env files of secret values; 0o644 (writeFiles' default) otherwise. */
  mode?: number;
}

export interface QuadletExport {
  /** Sorted by name. */
  files: QuadletFile[];
  /** The oldest podman whose Quadlet understands every unit of the export. */
  minPodman: PodmanVersion;
  /** What the units cannot express, `<app id>: <sentence>`. */
  notes: string[];
  /**
   * Apps left out: what their unit cannot say as archy means it (limits.ts),
   * one EUNSUPPORTED ConvertError per field, with `app` and `field` set.
   * The other apps are exported.
   */
  refused: ConvertError[];
  /** What the target podman lacks and what was written instead, one sentence each (none without a target). */
  lacks: string[];
}

export interface QuadletExportOptions {
  /**
   * The folder the files will be written to: EnvironmentFile= names the env
   * file by its absolute path there (resolved against the working folder
   * when relative).
   */
  outDir: string;
  /**
   * The podman the units are for, `major.minor` (parsePodmanVersion reads
   * `podman version`). A key it lacks is replaced by what it has (the
   * podman flag, or a name instead of a .volume / .network unit), and
   * `lacks` says so. Below 4.4, which has no Quadlet, exportQuadlet throws.
   * Undefined: units for podman 4.4 and newer, each as new as its keys.
   */
  podman?: PodmanVersion;
}

const OVERWRITTEN = "Edits are overwritten on the next export.";

/**
 * Each app's container unit, or its refusals. An app refused is outside the
 * export, so its dependents are rendered again to say so (their note names
 * the unit that must exist).
 */
function renderApps(
  sorted: readonly AppManifest[],
  outDir: string,
  target: PodmanVersion | undefined,
): { rendered: { app: AppManifest; r: RenderedContainer }[]; refused: ConvertError[] } {
  const refused: ConvertError[] = [];
  const exported = new Set<string>();
  for (const app of sorted) {
    const problems = quadletRefusals(app);
    if (problems.length > 0) refused.push(...problems);
    else exported.add(app.id);
  }
  for (;;) {
    const rendered: { app: AppManifest; r: RenderedContainer }[] = [];
    let failed = false;
    for (const app of sorted.filter((a) => exported.has(a.id))) {
      try {
        const envFile = join(outDir, envFileName(app.id));
        rendered.push({ app, r: renderContainer(app, { envFile, exported, podman: target }) });
      } catch (error) {
        if (!ConvertError.isInstance(error)) throw error;
        refused.push(
          refusal(app, error.field ?? "container", `cannot be written: ${error.message}`),
        );
        exported.delete(app.id);
        failed = true;
      }
    }
    if (!failed) return { rendered, refused };
  }
}

/** The env file of an app's secret values. */
export const envFileName = (id: string) => `${containerName(id)}.env`;

/**
 * The Quadlet units of `apps`: one `archy-<id>.container` each, an
 * `archy-<id>.env` (mode 0600) for an app with secret env values, and one
 * `archy-<name>.volume` / `.network` per named volume or network they use.
 * An app a unit cannot say as archy means it is left out and listed in
 * `refused`. Throws a ConvertError (EUNSUPPORTED) for a target podman
 * without Quadlet.
 */
export function exportQuadlet(
  apps: readonly AppManifest[],
  opts: QuadletExportOptions,
): QuadletExport {
  const target = opts.podman;
  if (targetLacks(target, QUADLET_SINCE))
    throw new ConvertError(
      "EUNSUPPORTED",
      `podman ${target} has no Quadlet: it came with podman ${QUADLET_SINCE}; export for a newer podman, or use archy itself (or archy export kube) there`,
    );
  const outDir = resolve(opts.outDir);
  if (new Set(apps.map((a) => a.id)).size !== apps.length)
    throw new TypeError("two apps with the same id");
  const sorted = [...apps].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const { rendered: containers, refused } = renderApps(sorted, outDir, target);
  const files: QuadletFile[] = [];
  const notes: string[] = [];
  const shared = new Map<string, { body: UnitBuilder; users: string[] }>();
  const rendered = containers.map(({ app, r }) => {
    const use = (name: string, body: () => UnitBuilder) => {
      const entry = shared.get(name) ?? { body: body(), users: [] };
      entry.users.push(app.id);
      shared.set(name, entry);
      return name;
    };
    const refs = [
      ...r.volumes.map((v) => use(volumeUnitName(v), () => volumeUnit(v))),
      ...r.networks.map((n) => use(networkUnitName(n), () => networkUnit(n))),
    ];
    return { app, r, refs };
  });

  const versions: PodmanVersion[] = [];
  for (const [name, { body, users }] of shared) {
    const min = minPodmanFor(bodyKeyUses(body));
    versions.push(min.version);
    const header = [
      `# Generated by archy for the apps using it (${users.join(", ")}). ${OVERWRITTEN}`,
      versionLine(min),
    ];
    files.push({ name, text: formatUnit(header, body) });
  }

  for (const { app, r, refs } of rendered) {
    const name = `${containerName(app.id)}.container`;
    const uses: KeyUse[] = [
      ...bodyKeyUses(r.body),
      ...refs.flatMap((ref) => bodyKeyUses(shared.get(ref)!.body, ref)),
    ];
    const min = minPodmanFor(uses);
    versions.push(min.version);
    const header = [
      `# Generated by archy from ${app.file} (app ${app.id}). ${OVERWRITTEN}`,
      versionLine(min),
      ...r.notes.map((n) => `Note: ${n}`),
    ];
    files.push({ name, text: formatUnit(header, r.body) });
    if (r.secretEnv.length > 0)
      files.push({ name: envFileName(app.id), text: renderEnvFile(app, r.secretEnv), mode: 0o600 });
    notes.push(...r.notes.map((n) => `${app.id}: ${n}`));
  }

  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const minPodman = versions.reduce<PodmanVersion>(
    (max, v) => (compareVersions(v, max) > 0 ? v : max),
    QUADLET_SINCE,
  );
  if (target !== undefined && compareVersions(minPodman, target) > 0)
    throw new TypeError(
      `units for podman ${target} need podman ${minPodman}: a key has no fallback`,
    );
  const lacks = target
    ? lackSentences(
        target,
        rendered.map(({ app, r }) => ({ app, r })),
      )
    : [];
  return { files, minPodman, notes, refused, lacks };
}

const ARCHY_FILE = /^archy-[A-Za-z0-9][A-Za-z0-9_.-]*\.(container|volume|network|env)$/;

/**
 * Whether a file name is one exportQuadlet writes (`archy-*.container`,
 * `.volume`, `.network`, `.env`): the predicate of `writeFiles`' prune.
 */
export const isQuadletFileOfArchy = (name: string) => ARCHY_FILE.test(name);
