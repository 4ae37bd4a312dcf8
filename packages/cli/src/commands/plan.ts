import type { Plan, ManifestError } from "@archy/reconciler";
import { DaemonClient } from "../client.js";
import type { Context } from "../context.js";
import { formatManifestError } from "../views.js";

/** What a pass would do, changing nothing. */
export async function run(ctx: Context, opts: { removeOrphans?: boolean }): Promise<number> {
  const daemon = await DaemonClient.connect(ctx.socketPath);
  const result = daemon
    ? await daemon.request<{ plan: Plan; manifestErrors: ManifestError[] }>(
        "GET",
        `/v1/plan?removeOrphans=${opts.removeOrphans === true}`,
      )
    : await planHere(ctx, opts.removeOrphans === true);
  const { plan, manifestErrors } = result;
  if (ctx.json) {
    ctx.out.document({
      actions: plan.actions,
      skipped: plan.skipped,
      converged: plan.converged,
      orphans: plan.orphans.map((o) => o.name),
      manifestErrors,
    });
  } else {
    if (plan.actions.length === 0) ctx.out.line("nothing to do");
    else
      ctx.out.table(
        ["APP", "ACTION", "REASON"],
        plan.actions.map((a) => [a.app, a.kind, a.reason]),
      );
    for (const s of plan.skipped)
      if (s.stopReason !== "user")
        ctx.out.info(`${ctx.out.ce.yellow("skip:")} ${s.app}: ${s.reason}`);
    for (const e of manifestErrors) ctx.out.error(formatManifestError(e));
  }
  return manifestErrors.length ? 2 : 0;
}

/** The plan without a daemon: podman's ps and images run while the reconciler loads. */
async function planHere(ctx: Context, removeOrphans: boolean) {
  const { observeEarly } = await import("../early-observation.js");
  const runtime = await observeEarly(ctx.runtime(), { images: true });
  return (await import("../local.js")).localReconciler(ctx, runtime).plan({ removeOrphans });
}
