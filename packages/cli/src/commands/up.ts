import type { ReconcileReport } from "@archy/reconciler";
import { DaemonClient } from "../client.js";
import type { Context } from "../context.js";
import { printReport, reportExitCode } from "../views.js";
import { spinner } from "../progress.js";

/** One reconcile pass over all manifests; through the daemon when it runs. */
export async function run(ctx: Context, opts: { removeOrphans?: boolean }): Promise<number> {
  const daemon = await DaemonClient.connect(ctx.socketPath);
  let report: ReconcileReport;
  if (daemon) {
    const spin = spinner(ctx, "reconciling through the daemon");
    try {
      report = (
        await daemon.request<{ report: ReconcileReport }>(
          "POST",
          `/v1/reconcile?wait=true&removeOrphans=${opts.removeOrphans === true}`,
        )
      ).report;
    } finally {
      spin.stop();
    }
  } else {
    const { withStateLock } = await import("../state-lock.js");
    report = await withStateLock(ctx, async () => {
      // podman's ps and images run while the reconciler loads and reads the manifests.
      const { observeEarly } = await import("../early-observation.js");
      const runtime = await observeEarly(ctx.runtime(), { images: true });
      const r = (await import("../local.js")).localReconciler(ctx, runtime);
      const spin = spinner(ctx, "reconciling");
      const unsubscribe = r.subscribe((e) => {
        if (e.type === "phase") spin.text(`${e.app}: ${e.phase}`);
      });
      try {
        return await r.reconcileAll({ removeOrphans: opts.removeOrphans === true });
      } finally {
        unsubscribe();
        spin.stop();
      }
    });
  }
  if (ctx.json) ctx.out.document(report);
  else printReport(ctx.out, report);
  return reportExitCode(report);
}
