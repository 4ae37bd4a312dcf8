import { checkUpdates, loadManifests, type UpdateCheck } from "@archy/reconciler";
import { remoteDigest } from "@archy/runtime-podman";
import { CliError, EXIT } from "../cli-error.js";
import type { Context } from "../context.js";
import { formatManifestError } from "../views.js";

const SHOWN: Record<UpdateCheck["status"], string> = {
  "up-to-date": "up to date",
  "update-available": "update available",
  local: "local image",
  error: "error",
};

const short = (digest: string | null) => (digest ? digest.slice(0, 19) : "-");

/**
 * `archy update check [APP]`: which apps have a newer image, asked of their
 * registries without pulling (podman's registries.conf and auth file
 * apply). Changes nothing. Exit 1 when a registry did not answer for an app.
 */
export async function check(ctx: Context, appId: string | undefined): Promise<number> {
  const loaded = await loadManifests(ctx.manifestsDir);
  const apps = appId === undefined ? loaded.apps : loaded.apps.filter((a) => a.id === appId);
  if (appId !== undefined && apps.length === 0)
    throw new CliError(`unknown app: ${appId}`, EXIT.usage);
  const checks = await checkUpdates(apps, ctx.runtime(), (ref) => remoteDigest(ref));
  if (ctx.json) ctx.out.document({ checks, manifestErrors: loaded.errors });
  else {
    ctx.out.table(
      ["APP", "IMAGE", "STATUS", "RUNNING", "LATEST"],
      checks.map((c) => [c.app, c.image, SHOWN[c.status], short(c.running), short(c.latest)]),
    );
    for (const c of checks) if (c.error) ctx.out.error(`${c.app}: ${c.error}`);
    for (const e of loaded.errors) ctx.out.error(formatManifestError(e));
  }
  if (loaded.errors.length > 0) return EXIT.usage;
  return checks.some((c) => c.status === "error") ? EXIT.failed : EXIT.ok;
}
