import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  isTransitional,
  type AppStatus,
  type LifecycleHandle,
  type Reconciler,
} from "@archy/reconciler";
import { DaemonClient } from "../client.js";
import type { Context } from "../context.js";
import { localReconciler, withStateLock } from "../local.js";
import { spinner } from "../progress.js";
import { appView } from "../views.js";

export type Op = "start" | "stop" | "restart" | "install" | "remove";

const expected: Record<Op, AppStatus["phase"][]> = {
  start: ["running"],
  restart: ["running"],
  install: ["running"],
  stop: ["stopped"],
  remove: ["stopped"],
};

export interface OpArgs {
  op: Op;
  /** App id, or the manifest file for install. */
  target: string;
  wait: boolean;
  purge?: boolean;
}

function show(ctx: Context, status: AppStatus, final: boolean): void {
  if (ctx.json) {
    ctx.out.jsonLine({ app: appView(status), final });
    return;
  }
  const tail = final && status.lastError ? `: ${status.lastError}` : "";
  ctx.out.line(
    `${status.id}: ${ctx.out.phase(status.phase)}${status.stopReason && final ? ` (${status.stopReason})` : ""}${tail}`,
  );
}

/** The transitional phase at once, then (unless --no-wait) the final one; exit 1 when the operation failed. */
export async function run(ctx: Context, args: OpArgs): Promise<number> {
  const daemon = await DaemonClient.connect(ctx.socketPath);
  if (daemon) return viaDaemon(ctx, daemon, args);
  // Without a daemon the CLI does the work itself, holding the state folder, so it always waits.
  return withStateLock(ctx, async () => {
    const r = localReconciler(ctx);
    await r.refresh().catch(() => undefined);
    const handle = await start(r, args);
    show(ctx, handle.status, false);
    const spin = spinner(ctx, `${handle.status.id}: ${handle.status.phase}`);
    const unsubscribe = r.subscribe((e) => {
      if (e.type === "phase" && e.app === handle.status.id) spin.text(`${e.app}: ${e.phase}`);
    });
    const final = await handle.done.finally(() => {
      unsubscribe();
      spin.stop();
    });
    show(ctx, final, true);
    return succeeded(args.op, final) ? 0 : 1;
  });
}

function succeeded(op: Op, s: AppStatus): boolean {
  return (
    expected[op].includes(s.phase) && (s.lastError === null || op === "stop" || op === "remove")
  );
}

async function start(r: Reconciler, args: OpArgs): Promise<LifecycleHandle> {
  switch (args.op) {
    case "install":
      return r.install(await readFile(resolve(args.target), "utf8"), args.target);
    case "remove":
      return r.remove(args.target, { purge: args.purge === true });
    default:
      return r[args.op](args.target);
  }
}

async function viaDaemon(ctx: Context, daemon: DaemonClient, args: OpArgs): Promise<number> {
  const ac = new AbortController();
  let appId = args.op === "install" ? null : args.target;
  // Follow the events before asking, so the final phase cannot be missed.
  const finalPhase = new Promise<void>((resolve) => {
    if (!args.wait) return resolve();
    void (async () => {
      try {
        for await (const e of daemon.events(ac.signal)) {
          if (
            e.type === "phase" &&
            e.app === appId &&
            !isTransitional(e.phase as AppStatus["phase"])
          )
            return resolve();
        }
      } catch {
        // the daemon went away: the final status request below reports it
      }
      resolve();
    })();
  });
  if (args.wait) await new Promise((r) => setTimeout(r, 20));
  let path: string;
  let method = "POST";
  let body: unknown;
  if (args.op === "install") {
    path = "/v1/apps";
    body = { manifest: await readFile(resolve(args.target), "utf8"), file: args.target };
  } else if (args.op === "remove") {
    path = `/v1/apps/${encodeURIComponent(args.target)}?purge=${args.purge === true}`;
    method = "DELETE";
  } else path = `/v1/apps/${encodeURIComponent(args.target)}/${args.op}`;
  try {
    const { app } = await daemon.request<{ app: AppStatus }>(method, path, body);
    appId = app.id;
    show(ctx, app, false);
    if (!args.wait) return 0;
    if (isTransitional(app.phase)) {
      const spin = spinner(ctx, `${app.id}: ${app.phase}`);
      await finalPhase.finally(() => spin.stop());
    }
    if (args.op === "remove") return 0;
    const { app: final } = await daemon.request<{ app: AppStatus }>(
      "GET",
      `/v1/apps/${encodeURIComponent(app.id)}`,
    );
    show(ctx, final, true);
    return succeeded(args.op, final) ? 0 : 1;
  } finally {
    ac.abort();
  }
}
