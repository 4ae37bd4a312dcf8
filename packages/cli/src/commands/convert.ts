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
  writeFiles,
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

export interface KubeOptions {
  all?: boolean;
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
  const result = exportKube(apps, {
    kind,
    dependencies: loaded,
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
      objects: result.objects,
      notes: result.notes,
    });
    return EXIT.ok;
  }
  if (written) printWritten(ctx, [written]);
  else process.stdout.write(result.text);
  for (const n of result.notes) ctx.out.info(`note: ${n}`);
  return EXIT.ok;
}

export async function exportQuadletUnits(
  ctx: Context,
  app: string | undefined,
  opts: { all?: boolean; out: string; prune?: boolean },
): Promise<number> {
  if (opts.prune && !opts.all)
    throw new CliError(
      "--prune removes the units of apps that no longer exist: it needs --all",
      EXIT.usage,
    );
  const outDir = resolve(opts.out);
  const { apps } = await appsToExport(ctx, app, opts.all === true);
  const result = exportQuadlet(apps, { outDir });
  const written = await writeFiles(outDir, result.files, {
    force: true,
    ...(opts.prune ? { prune: isQuadletFileOfArchy } : {}),
  });
  if (ctx.json) {
    ctx.out.document({
      dir: outDir,
      minPodman: result.minPodman,
      files: written,
      notes: result.notes,
    });
    return EXIT.ok;
  }
  printWritten(ctx, written);
  ctx.out.info(`the units need podman ${result.minPodman} or newer (Quadlet)`);
  for (const n of result.notes) ctx.out.info(`note: ${n}`);
  return EXIT.ok;
}

function printWritten(ctx: Context, written: readonly WrittenFile[]): void {
  const c = ctx.out.c;
  const paint = { created: c.green, changed: c.cyan, unchanged: c.dim, removed: c.yellow };
  ctx.out.table(
    ["STATUS", "FILE"],
    written.map((w) => [paint[w.status](w.status), w.path]),
  );
}
