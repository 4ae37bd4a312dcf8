// `archy import compose` and `archy export quadlet|kube`: the conversions are
// @archy/convert's; this file only reads the inputs, writes the outputs and
// prints what happened.
import { basename, dirname, resolve } from "node:path";
import { loadManifests, type AppManifest } from "@archy/reconciler";
import {
  exportKube,
  exportQuadlet,
  formatLocated,
  importCompose,
  isQuadletFileOfArchy,
  parsePodmanVersion,
  QUADLET_SINCE,
  compareVersions,
  writeFiles,
  type ConvertError,
  type PodmanVersion,
  type WrittenFile,
} from "@archy/convert";
import { CliError, EXIT } from "../cli-error.js";
import type { Context } from "../context.js";
import { formatManifestError } from "../views.js";

export interface ImportOptions {
  out?: string;
  project?: string;
  force?: boolean;
  strict?: boolean;
}

/** One manifest per compose service, written into `--out` (the manifests folder by default). */
export async function importComposeFile(
  ctx: Context,
  file: string,
  opts: ImportOptions,
): Promise<number> {
  const result = await importCompose({
    file: resolve(file),
    ...(opts.project !== undefined ? { project: opts.project } : {}),
    strict: opts.strict === true,
  });
  const dir = resolve(opts.out ?? ctx.manifestsDir);
  // A manifest may hold the app's secrets (its env): readable by its owner only.
  const written = await writeFiles(
    dir,
    result.manifests.map((m) => ({ name: m.fileName, text: m.text, mode: 0o600 })),
    { force: opts.force === true },
  );
  if (ctx.json) {
    ctx.out.document({
      project: result.project,
      manifests: result.manifests.map((m, i) => ({
        app: m.id,
        service: m.service,
        path: written[i]!.path,
        status: written[i]!.status,
      })),
      warnings: result.warnings,
    });
    return EXIT.ok;
  }
  for (const w of result.warnings) ctx.out.warn(formatLocated(w));
  printWritten(ctx, written);
  ctx.out.info(
    `${result.manifests.length} app${result.manifests.length === 1 ? "" : "s"} of project ${result.project} in ${dir}; \`archy plan\` shows what \`archy up\` would do`,
  );
  return EXIT.ok;
}

/**
 * The apps an export names (one by id, or every app with `--all`) and every
 * app loaded (what they depend on). Manifest errors of what is exported fail
 * it (exit 2).
 */
async function appsToExport(ctx: Context, app: string | undefined, all: boolean) {
  if ((app === undefined) === !all)
    throw new CliError("name one app, or --all (not both)", EXIT.usage);
  const loaded = await loadManifests(ctx.manifestsDir);
  const errors = all
    ? loaded.errors
    : loaded.errors.filter((e) => loaded.apps.every((a) => a.file !== e.file));
  const apps: AppManifest[] = all ? loaded.apps : loaded.apps.filter((a) => a.id === app);
  if (!all && apps.length === 0) {
    const bad = loaded.errors.find((e) => basename(e.file).replace(/\.ya?ml$/, "") === app);
    if (bad) throw new CliError(formatManifestError(bad), EXIT.usage);
    throw new CliError(
      `no app ${JSON.stringify(app)} in ${ctx.manifestsDir}${loaded.apps.length ? ` (apps: ${loaded.apps.map((a) => a.id).join(", ")})` : ""}`,
      EXIT.usage,
    );
  }
  if (all && errors.length > 0)
    throw new CliError(errors.map(formatManifestError).join("\n"), EXIT.usage);
  return { apps, loaded: loaded.apps };
}

/** The podman an export is for, and where that came from. */
interface Target {
  podman: PodmanVersion;
  /** `option`: --podman-version; `host`: `podman version` here, which printed `reported`. */
  from: "option" | "host";
  reported?: string;
}

/**
 * The podman an export targets: `--podman-version X.Y`, else the one
 * `podman version` reports here (ARCHY_PODMAN, ARCHY_PODMAN_ARGS). No
 * answer from podman is exit 4, with the option as the way on.
 */
async function exportTarget(ctx: Context, given: string | undefined): Promise<Target> {
  if (given !== undefined) {
    const podman = parsePodmanVersion(given);
    if (!podman)
      throw new CliError(
        `--podman-version takes a podman version such as 5.4 or 4.9.3, not ${JSON.stringify(given)}`,
        EXIT.usage,
      );
    return { podman, from: "option" };
  }
  let reported: string;
  try {
    reported = await ctx.runtime().version();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== "EPODMANUNAVAILABLE" && code !== "EPODMANTIMEOUT") throw error;
    throw new CliError(
      `${(error as Error).message}; to export for the podman of another host, give --podman-version X.Y`,
      EXIT.podman,
    );
  }
  const podman = parsePodmanVersion(reported);
  if (!podman)
    throw new CliError(
      `podman version printed ${JSON.stringify(reported)}, not a version: give --podman-version X.Y`,
      EXIT.failed,
    );
  return { podman, from: "host", reported };
}

const describeTarget = (t: Target) =>
  t.from === "option" ? `podman ${t.podman}` : `podman ${t.podman} (this host's, ${t.reported})`;

export interface KubeOptions {
  all?: boolean;
  /** `--podman-version`. */
  podmanVersion?: string;
  out?: string;
  kind?: string;
  waitImage?: string;
  /** commander's `--no-secrets`. */
  secrets?: boolean;
}

export async function exportKubeYaml(
  ctx: Context,
  app: string | undefined,
  opts: KubeOptions,
): Promise<number> {
  const kind = opts.kind ?? "Pod";
  if (kind !== "Pod" && kind !== "Deployment")
    throw new CliError(`--kind must be Pod or Deployment, not ${kind}`, EXIT.usage);
  const { apps, loaded } = await appsToExport(ctx, app, opts.all === true);
  const target = await exportTarget(ctx, opts.podmanVersion);
  const result = exportKube(apps, {
    kind,
    dependencies: loaded,
    podman: target.podman,
    secrets: opts.secrets !== false,
    ...(opts.waitImage !== undefined ? { waitImage: opts.waitImage } : {}),
  });
  let written: WrittenFile | undefined;
  if (opts.out !== undefined) {
    const path = resolve(opts.out);
    [written] = await writeFiles(dirname(path), [{ name: basename(path), text: result.text }], {
      force: true,
    });
  }
  if (ctx.json) {
    ctx.out.document({
      ...(written ? { path: written.path, status: written.status } : {}),
      target: { podman: target.podman, from: target.from },
      objects: result.objects,
      notes: result.notes,
      lacks: result.lacks,
    });
    return EXIT.ok;
  }
  if (written) printWritten(ctx, [written]);
  else process.stdout.write(result.text);
  for (const n of result.notes) ctx.out.info(`note: ${n}`);
  ctx.out.info(`for ${describeTarget(target)}`);
  for (const l of result.lacks) ctx.out.warn(l);
  return EXIT.ok;
}

export interface QuadletOptions {
  all?: boolean;
  out: string;
  prune?: boolean;
  /** `--podman-version`. */
  podmanVersion?: string;
}

/**
 * `archy export quadlet`: the units of the apps for the target podman. An
 * app no unit can say as archy means it is refused (exit 2 once the others
 * are written; its earlier units, if any, are left alone, even by --prune).
 * A host podman without Quadlet (before 4.4) gets a warning and units for
 * the oldest Quadlet; `--podman-version` below 4.4 is refused (exit 2).
 */
export async function exportQuadletUnits(
  ctx: Context,
  app: string | undefined,
  opts: QuadletOptions,
): Promise<number> {
  if (opts.prune && !opts.all)
    throw new CliError(
      "--prune removes the units of apps that no longer exist: it needs --all",
      EXIT.usage,
    );
  const outDir = resolve(opts.out);
  const { apps } = await appsToExport(ctx, app, opts.all === true);
  const target = await exportTarget(ctx, opts.podmanVersion);
  const noQuadlet = target.from === "host" && compareVersions(target.podman, QUADLET_SINCE) < 0;
  const podman = noQuadlet ? QUADLET_SINCE : target.podman;
  const result = exportQuadlet(apps, { outDir, podman });
  const kept = new Set(
    result.refused.flatMap((e) => [`archy-${e.app}.container`, `archy-${e.app}.env`]),
  );
  const written = await writeFiles(outDir, result.files, {
    force: true,
    ...(opts.prune
      ? { prune: (name: string) => isQuadletFileOfArchy(name) && !kept.has(name) }
      : {}),
  });
  const exitCode = result.refused.length > 0 ? EXIT.usage : EXIT.ok;
  if (ctx.json) {
    ctx.out.document({
      dir: outDir,
      target: {
        podman,
        from: target.from,
        ...(noQuadlet ? { hostWithoutQuadlet: target.podman } : {}),
      },
      minPodman: result.minPodman,
      files: written,
      notes: result.notes,
      lacks: result.lacks,
      refused: result.refused.map(refusedJson),
    });
    return exitCode;
  }
  printWritten(ctx, written);
  if (noQuadlet)
    ctx.out.warn(
      `this host's podman ${target.reported} has no Quadlet (it came with podman ${QUADLET_SINCE}): the units are written for podman ${QUADLET_SINCE}; give --podman-version X.Y for the podman of the host they are for`,
    );
  else
    ctx.out.info(
      `the units are for ${describeTarget(target)} (each needs ${result.minPodman} or newer)`,
    );
  for (const n of result.notes) ctx.out.info(`note: ${n}`);
  for (const l of result.lacks) ctx.out.warn(l);
  for (const e of result.refused) ctx.out.error(`${e.message}: not exported`);
  return exitCode;
}

const refusedJson = (e: ConvertError) => ({
  app: e.app,
  field: e.field,
  code: e.code,
  message: e.message,
});

function printWritten(ctx: Context, written: readonly WrittenFile[]): void {
  const c = ctx.out.c;
  const paint = { created: c.green, changed: c.cyan, unchanged: c.dim, removed: c.yellow };
  ctx.out.table(
    ["STATUS", "FILE"],
    written.map((w) => [paint[w.status](w.status), w.path]),
  );
}
