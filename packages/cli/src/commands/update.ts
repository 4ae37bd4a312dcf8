import {
  checkUpdates,
  loadManifests,
  updateStrategy,
  updateTarget,
  type UpdateCheck,
} from "@archy/reconciler";
import { remoteDigest } from "@archy/runtime-podman";
import { CliError, EXIT } from "../cli-error.js";
import { DaemonClient } from "../client.js";
import { withStateLock } from "../state-lock.js";
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

/**
 * `archy update APP|--all [--to REF] [--dry-run] [--no-wait]`: each app in
 * turn through the lifecycle operation `update` (the daemon's when it runs).
 * The exit code is the worst: 1 when one rolled back or was blocked.
 */
export async function update(
  ctx: Context,
  appId: string | undefined,
  opts: { all?: boolean; dryRun?: boolean; wait: boolean; to?: string },
): Promise<number> {
  if ((appId === undefined) === (opts.all !== true))
    throw new CliError("name one app, or --all", EXIT.usage);
  if (opts.all && opts.to !== undefined)
    throw new CliError("--to names one app's image: name the app, not --all", EXIT.usage);
  const loaded = await loadManifests(ctx.manifestsDir);
  const pulled = loaded.apps.filter((a) => a.container.build === null);
  const apps = opts.all ? pulled : loaded.apps.filter((a) => a.id === appId);
  if (appId !== undefined && apps.length === 0)
    throw new CliError(`unknown app: ${appId}`, EXIT.usage);
  if (opts.dryRun) {
    const plan = apps.map((a) =>
      a.container.build
        ? {
            app: a.id,
            image: a.container.image,
            strategy: null,
            why: "built here: nothing to pull",
          }
        : {
            app: a.id,
            image:
              opts.to === undefined ? a.container.image : updateTarget(a.container.image, opts.to),
            ...updateStrategy(a),
          },
    );
    if (ctx.json) ctx.out.document({ plan });
    else
      ctx.out.table(
        ["APP", "IMAGE", "STRATEGY", "WHY"],
        plan.map((p) => [p.app, p.image, p.strategy ?? "-", p.why]),
      );
    return EXIT.ok;
  }
  const { run } = await import("./lifecycle.js");
  let worst: number = EXIT.ok;
  for (const app of apps) {
    const code = await run(ctx, {
      op: "update",
      target: app.id,
      wait: opts.wait,
      ...(opts.to === undefined ? {} : { to: opts.to }),
    });
    if (code !== EXIT.ok && worst === EXIT.ok) worst = code;
  }
  return worst;
}

/** `archy update unblock APP`: images that failed the app's gate may be tried again. */
export async function unblock(ctx: Context, appId: string): Promise<number> {
  const daemon = await DaemonClient.connect(ctx.socketPath);
  const unblocked = daemon
    ? (
        await daemon.request<{ unblocked: number }>(
          "POST",
          `/v1/apps/${encodeURIComponent(appId)}/unblock`,
        )
      ).unblocked
    : await withStateLock(ctx, async () =>
        (await import("../local.js")).localReconciler(ctx).unblockUpdates(appId),
      );
  if (ctx.json) ctx.out.document({ app: appId, unblocked });
  else ctx.out.line(`${appId}: ${unblocked} blocked image${unblocked === 1 ? "" : "s"} cleared`);
  return EXIT.ok;
}
