import type { ContainerStatus } from "@archy/runtime-podman";
import {
  formatManifestError,
  type AppStatus,
  type AppsPayload,
  type AppView,
  type ManifestError,
  type ReconcileReport,
} from "@archy/reconciler/api";
import { EXIT, exitCodeFor, type ExitCode } from "./cli-error.js";
import type { Output } from "./output.js";
import { uptime } from "./output.js";

// The `--json` shapes are the API's (`@archy/reconciler/api`, documented field by
// field in the README): `archy ps --json` prints what GET /v1/apps answers.
export type { AppsPayload, AppView };
export { formatManifestError };

export function appView(a: AppStatus, now = Date.now()): AppView {
  const running = a.container?.state === "running" && a.container.startedAt;
  return {
    id: a.id,
    name: a.name,
    version: a.version,
    desired: a.desired,
    phase: a.phase,
    health: a.health,
    restarts: a.restarts,
    uptimeSeconds: running
      ? Math.max(0, Math.floor((now - Date.parse(a.container!.startedAt!)) / 1000))
      : null,
    image: a.image,
    stopReason: a.stopReason,
    lastError: a.lastError,
    lastErrorCode: a.lastErrorCode,
    since: a.since,
    nextRetryAt: a.nextRetryAt,
    dependsOn: a.dependsOn,
    container: a.container,
    update: a.update ?? null,
  };
}

/** An app's update in a word or a line: available, updating, rolled back (why). */
export function updateText(u: AppStatus["update"]): string {
  if (!u) return "-";
  if (u.state === "rolled-back") return `rolled back (${u.reason ?? "?"})`;
  return u.state === "available" ? `available (${u.latest?.slice(0, 19) ?? "?"})` : "updating";
}

export function appsPayload(
  apps: AppStatus[],
  orphans: ContainerStatus[],
  manifestErrors: ManifestError[],
): AppsPayload {
  return {
    apps: apps.map((a) => appView(a)),
    orphans: orphans.map((o) => ({
      name: o.name,
      app: o.labels["io.archy.app"] ?? "",
      state: o.state,
    })),
    manifestErrors,
  };
}

export function printApps(out: Output, payload: AppsPayload): void {
  const c = out.c;
  // The UPDATE column only when an app has something to say (update checks, a rollback).
  const updates = payload.apps.some((a) => a.update);
  const short = (text: string) => (text.length > 48 ? `${text.slice(0, 47)}…` : text);
  out.table(
    [
      "APP",
      "DESIRED",
      "PHASE",
      "HEALTH",
      "RESTARTS",
      "UPTIME",
      "IMAGE",
      ...(updates ? ["UPDATE"] : []),
      "REASON",
    ],
    payload.apps.map((a) => [
      a.id,
      a.desired === "stopped" ? c.dim(a.desired) : a.desired,
      out.phase(a.phase),
      a.health ?? "-",
      String(a.restarts),
      a.uptimeSeconds === null
        ? "-"
        : uptime({ container: { ...a.container!, state: "running" } } as AppStatus),
      a.image,
      ...(updates ? [short(updateText(a.update))] : []),
      a.stopReason
        ? `${a.stopReason}${a.nextRetryAt ? ` (retry ${a.nextRetryAt.slice(11, 19)})` : ""}`
        : "",
    ]),
  );
  for (const o of payload.orphans)
    out.info(
      `${out.ce.yellow("orphan:")} ${o.name} (app ${o.app}, ${o.state}) has no manifest; archy up --remove-orphans removes it`,
    );
  for (const e of payload.manifestErrors) out.warn(formatManifestError(e));
}

export function printReport(out: Output, report: ReconcileReport): void {
  const c = out.c;
  if (!report.observed) {
    out.error(report.error ?? "the pass could not observe podman");
    return;
  }
  if (report.actions.length) {
    out.table(
      ["APP", "ACTION", "REASON", "RESULT", "TIME"],
      report.actions.map((a) => [
        a.app,
        a.kind,
        a.reason,
        a.ok ? c.green("ok") : c.red(`failed: ${a.error ?? ""}`),
        `${(a.durationMs / 1000).toFixed(1)}s`,
      ]),
    );
  }
  const failedActions = new Set(report.actions.filter((a) => !a.ok).map((a) => a.app));
  for (const f of report.failures)
    if (!failedActions.has(f.app)) out.info(`${out.ce.red("failed:")} ${f.app}: ${f.error}`);
  for (const s of report.skipped)
    if (s.stopReason && s.stopReason !== "user")
      out.info(`${out.ce.yellow("waiting:")} ${s.app}: ${s.reason}`);
  for (const o of report.orphans)
    out.info(
      `${out.ce.yellow("orphan:")} ${o.name} (app ${o.app}) has no manifest; --remove-orphans removes it`,
    );
  for (const e of report.manifestErrors) out.error(formatManifestError(e));
  const ok = report.actions.filter((a) => a.ok).length;
  out.info(
    `${report.converged.length} converged, ${ok} changed, ${report.failures.length} failed, ${report.manifestErrors.length} invalid manifest${report.manifestErrors.length === 1 ? "" : "s"} (${(report.durationMs / 1000).toFixed(1)}s)`,
  );
}

/**
 * A pass stopped by an error with an exit code of its own (podman missing or
 * not answering: `errorCode` EPODMANUNAVAILABLE, EPODMANTIMEOUT) exits with
 * it; otherwise invalid manifests 2, a pass that did not run or failures 1,
 * else 0.
 */
export function reportExitCode(report: ReconcileReport): ExitCode {
  const stoppedBy = report.observed ? null : exitCodeFor(report.errorCode);
  if (stoppedBy !== null) return stoppedBy;
  if (report.manifestErrors.length > 0) return EXIT.usage;
  if (!report.observed || report.failures.length > 0) return EXIT.failed;
  return EXIT.ok;
}
