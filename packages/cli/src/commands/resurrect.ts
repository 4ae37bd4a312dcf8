import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import {
  DesiredStateStore,
  recoverAfterCrash,
  type ReconcileReport,
  type RecoveryReport,
} from "@archy/reconciler";
import { DaemonClient } from "../client.js";
import type { Context } from "../context.js";
import { localReconciler, withStateLock } from "../local.js";
import { printReport, reportExitCode } from "../views.js";
import { defaultSnapshot, load } from "./snapshot.js";

/**
 * Restores the manifests and desired states of a snapshot, then starts what
 * was running. Idempotent: a second run changes nothing.
 */
export async function run(ctx: Context, file?: string): Promise<number> {
  const path = file ? resolve(file) : defaultSnapshot(ctx);
  const { state } = await load(path);
  const restored: string[] = [];
  const unchanged: string[] = [];
  await mkdir(ctx.manifestsDir, { recursive: true });
  for (const app of state.apps) {
    const target = join(ctx.manifestsDir, basename(app.manifest.file));
    const current = await readFile(target, "utf8").catch(() => null);
    if (current === app.manifest.source) {
      unchanged.push(app.id);
      continue;
    }
    const tmp = join(ctx.manifestsDir, `.${app.id}.${randomBytes(4).toString("hex")}.tmp`);
    await writeFile(tmp, app.manifest.source, { mode: 0o600 });
    await rename(tmp, target);
    restored.push(app.id);
  }
  const desired = Object.fromEntries(state.apps.map((a) => [a.id, a.desired]));
  const daemon = await DaemonClient.connect(ctx.socketPath);
  let report: ReconcileReport;
  let recovery: RecoveryReport;
  // Containers that are not archy apps but were running: started again too.
  const unmanaged = { ...state, containers: state.containers.filter((c) => c.app === null) };
  if (daemon) {
    await new DesiredStateStore(ctx.stateDir).setMany(desired);
    report = (await daemon.request<{ report: ReconcileReport }>("POST", "/v1/reconcile?wait=true"))
      .report;
    recovery = await recoverAfterCrash({ runtime: ctx.runtime(), snapshot: unmanaged, desired });
  } else {
    ({ report, recovery } = await withStateLock(ctx, async () => {
      const r = localReconciler(ctx);
      await r.setDesiredStates(desired);
      return {
        report: await r.reconcileAll(),
        recovery: await recoverAfterCrash({ runtime: ctx.runtime(), snapshot: unmanaged, desired }),
      };
    }));
  }
  if (ctx.json) {
    ctx.out.document({ snapshot: path, manifests: { restored, unchanged }, report, recovery });
  } else {
    ctx.out.info(
      `manifests: ${restored.length} restored${restored.length ? ` (${restored.join(", ")})` : ""}, ${unchanged.length} unchanged`,
    );
    printReport(ctx.out, report);
    for (const n of recovery.recovered) ctx.out.info(`started ${n}`);
    for (const f of recovery.failed) ctx.out.error(`${f.name}: ${f.error}`);
  }
  const code = reportExitCode(report);
  return code === 0 && recovery.failed.length ? 1 : code;
}
