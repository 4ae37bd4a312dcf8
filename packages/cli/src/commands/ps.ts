import type { DaemonInfo } from "@archy/reconciler/api";
import { DaemonClient } from "../client.js";
import type { Context } from "../context.js";
import { CliError, EXIT } from "../cli-error.js";
import { appsPayload, printApps, updateText, type AppsPayload, type AppView } from "../views.js";

/** Every app, through the daemon when one answers: one request for ps, two for status. */
async function load(
  ctx: Context,
  opts: { daemonInfo: boolean },
): Promise<{
  payload: AppsPayload;
  daemon: DaemonInfo | null;
  /** Problems with archy's own state (a corrupt desired.json kept aside). */
  notices: string[];
}> {
  if (opts.daemonInfo) {
    const answer = await DaemonClient.get<DaemonInfo>(ctx.socketPath, "/v1/daemon");
    if (answer) {
      const payload = await answer.daemon.request<AppsPayload>("GET", "/v1/apps");
      const info = answer.body;
      return { payload, daemon: info, notices: info.notices ?? [] };
    }
  } else {
    const answer = await DaemonClient.get<AppsPayload>(ctx.socketPath, "/v1/apps");
    if (answer) return { payload: answer.body, daemon: null, notices: [] };
  }
  // No daemon: podman's ps runs while the reconciler loads (only now) and reads the
  // manifests (parsing only those not in the cache).
  const { observeEarly } = await import("../early-observation.js");
  const runtime = await observeEarly(ctx.runtime(), { images: false });
  const r = (await import("../local.js")).localReconciler(ctx, runtime);
  await r.refresh();
  return {
    payload: appsPayload(await r.status(), r.orphans(), r.getManifestErrors()),
    daemon: null,
    notices: await r.notices(),
  };
}

/** archy ps: every app in a table (or --json). */
export async function ps(ctx: Context): Promise<number> {
  const { payload } = await load(ctx, { daemonInfo: false });
  if (ctx.json) ctx.out.document(payload);
  else if (ctx.quiet) payload.apps.forEach((a) => ctx.out.line(a.id));
  else printApps(ctx.out, payload);
  return 0;
}

/** archy status [APP]: the daemon, the last recovery and every app; or one app in detail. */
export async function status(ctx: Context, id?: string): Promise<number> {
  const { payload, daemon, notices } = await load(ctx, { daemonInfo: true });
  if (id !== undefined) {
    const app = payload.apps.find((a) => a.id === id);
    if (!app) throw new CliError(`unknown app: ${id}`, EXIT.usage);
    if (ctx.json) ctx.out.document({ app });
    else printApp(ctx, app);
    return 0;
  }
  if (ctx.json) {
    ctx.out.document({ daemon, notices, ...payload });
    return 0;
  }
  const c = ctx.out.c;
  for (const n of notices) ctx.out.warn(n);
  if (daemon) {
    ctx.out.line(
      `daemon: ${c.green("running")} (PID ${daemon.pid}, since ${daemon.startedAt}, podman ${daemon.podman})`,
    );
    const recovery = daemon.recovery;
    if (recovery) {
      ctx.out.line(`recovery after a ${recovery.after} at ${recovery.at}:`);
      for (const n of recovery.recovered) ctx.out.line(`  ${n}: ${c.green("recovered")}`);
      for (const n of recovery.alreadyRunning) ctx.out.line(`  ${n}: already running`);
      for (const s of recovery.skipped) ctx.out.line(`  ${s.name}: skipped (${s.reason})`);
      for (const f of recovery.failed) ctx.out.line(`  ${f.name}: ${c.red("failed")}: ${f.error}`);
    }
  } else ctx.out.line(`daemon: ${c.dim("not running")} (state ${ctx.stateDir})`);
  ctx.out.line();
  printApps(ctx.out, payload);
  return 0;
}

function printApp(ctx: Context, a: AppView): void {
  const rows: [string, string][] = [
    ["app", `${a.id} (${a.name} ${a.version})`],
    ["desired", a.desired],
    ["phase", `${ctx.out.phase(a.phase)} since ${a.since}`],
    ["health", a.health ?? "-"],
    ["restarts", String(a.restarts)],
    ["image", a.image],
    [
      "container",
      a.container
        ? `${a.container.name} ${a.container.state} ${a.container.id.slice(0, 12)}${a.container.exitCode !== null ? ` exit ${a.container.exitCode}` : ""}`
        : "-",
    ],
    ["depends on", a.dependsOn.join(", ") || "-"],
  ];
  if (a.stopReason) rows.push(["stop reason", a.stopReason]);
  if (a.nextRetryAt) rows.push(["next retry", a.nextRetryAt]);
  if (a.update) rows.push(["update", updateText(a.update)]);
  if (a.lastError) rows.push(["last error", a.lastError]);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) ctx.out.line(`${ctx.out.c.bold(k.padEnd(width))}  ${v}`);
}
