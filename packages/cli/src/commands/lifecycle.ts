import type { LifecycleHandle } from "@archy/reconciler";
import {
  isTransitional,
  type AppAnswer,
  type AppStatus,
  type InstallRequest,
  type ReconcilerEvent,
  type UpdateRequest,
} from "@archy/reconciler/api";
import type { Reconciler } from "@archy/reconciler/reconciler";
import { CliError, EXIT, exitCodeFor } from "../cli-error.js";
import { DaemonClient } from "../client.js";
import type { Context } from "../context.js";
import { spinner } from "../progress.js";
import { appView } from "../views.js";

export type Op = "start" | "stop" | "restart" | "update" | "install" | "remove";

const expected: Record<Op, AppStatus["phase"][]> = {
  start: ["running"],
  restart: ["running"],
  update: ["running"],
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
  /** `archy update --to REF`. */
  to?: string;
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

/**
 * The transitional phase at once, then (unless --no-wait) the final one. The
 * exit code is the operation's (`exitCode`): 4 when podman is missing or does
 * not answer, 1 for any other failure.
 */
export async function run(ctx: Context, args: OpArgs): Promise<number> {
  const daemon = await DaemonClient.connect(ctx.socketPath);
  if (daemon) return viaDaemon(ctx, daemon, args);
  // Without a daemon the CLI does the work itself, holding the state folder, so it always waits.
  const { withStateLock } = await import("../state-lock.js");
  return withStateLock(ctx, async () => {
    const { localReconciler } = await import("../local.js");
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
    return exitCode(args.op, final);
  });
}

function succeeded(op: Op, s: AppStatus): boolean {
  return (
    expected[op].includes(s.phase) && (s.lastError === null || op === "stop" || op === "remove")
  );
}

/**
 * 0 when the operation reached its phase. A failed one exits with the exit
 * code of its error's code when that has one (SPEC section 6: podman missing
 * or not answering, EPODMANUNAVAILABLE or EPODMANTIMEOUT, is 4), else 1.
 */
export function exitCode(op: Op, final: AppStatus): number {
  if (succeeded(op, final)) return EXIT.ok;
  return exitCodeFor(final.lastErrorCode ?? undefined) ?? EXIT.failed;
}

/** `archy install FILE`'s text; the module (and the manifest library) loads only for an install. */
const readManifestArgument = async (file: string) =>
  (await import("./read-manifest.js")).readManifestArgument(file);

async function start(r: Reconciler, args: OpArgs): Promise<LifecycleHandle> {
  switch (args.op) {
    case "install":
      return r.install(await readManifestArgument(args.target), args.target);
    case "remove":
      return r.remove(args.target, { purge: args.purge === true });
    case "update":
      return r.update(args.target, args.to === undefined ? {} : { to: args.to });
    default:
      return r[args.op](args.target);
  }
}

async function viaDaemon(ctx: Context, daemon: DaemonClient, args: OpArgs): Promise<number> {
  let path: string;
  let method = "POST";
  let body: InstallRequest | UpdateRequest | undefined;
  if (args.op === "install") {
    path = "/v1/apps";
    body = { manifest: await readManifestArgument(args.target), file: args.target };
  } else if (args.op === "remove") {
    path = `/v1/apps/${encodeURIComponent(args.target)}?purge=${args.purge === true}`;
    method = "DELETE";
  } else {
    path = `/v1/apps/${encodeURIComponent(args.target)}/${args.op}`;
    if (args.to !== undefined) body = { to: args.to };
  }
  const ac = new AbortController();
  try {
    // Subscribe before asking: the daemon has registered the stream before the operation
    // is requested, so the final phase cannot be missed however soon it comes.
    const finalPhase = args.wait
      ? watchFinalPhases(await daemon.subscribe(ac.signal).catch(wentAway(args, false)))
      : null;
    const { app } = await daemon
      .request<AppAnswer>(method, path, body)
      .catch(wentAway(args, false));
    show(ctx, app, false);
    if (!args.wait) return 0;
    if (isTransitional(app.phase)) {
      const spin = spinner(ctx, `${app.id}: ${app.phase}`);
      await finalPhase?.of(app.id).finally(() => spin.stop());
    }
    if (args.op === "remove") return 0;
    const { app: final } = await daemon
      .request<AppAnswer>("GET", `/v1/apps/${encodeURIComponent(app.id)}`)
      .catch(wentAway(args, true));
    show(ctx, final, true);
    return exitCode(args.op, final);
  } finally {
    ac.abort();
  }
}

/**
 * The daemon died or stopped during the operation (its socket refused or
 * closed): an operation failure in words (exit 1), not a bug's stack trace.
 * Once acknowledged, the intent is persisted and the next daemon carries it out.
 */
function wentAway(args: OpArgs, acknowledged: boolean): (error: unknown) => never {
  return (error) => {
    if (CliError.isInstance(error)) throw error;
    const what = `${args.op} ${args.target}`;
    const why = (error as NodeJS.ErrnoException).code ?? errorMessage(error);
    throw new CliError(
      acknowledged
        ? `the daemon went away (${why}) before ${what} finished; it was acknowledged, and the next daemon carries it out (see archy status)`
        : `the daemon went away (${why}) before it answered ${what}; whether it was recorded is unknown (see archy status)`,
      EXIT.failed,
    );
  };
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Follows `events` from now on, remembering which apps reached a final
 * (non-transitional) phase. `of(id)` resolves once `id` has, also when it did
 * before the caller learnt the id (install), or when the stream ends: the
 * daemon went away, and the final status request reports it.
 */
function watchFinalPhases(events: AsyncIterable<ReconcilerEvent>): {
  of(id: string): Promise<void>;
} {
  const settled = new Set<string>();
  const waiters = new Map<string, () => void>();
  let ended = false;
  void (async () => {
    try {
      for await (const e of events) {
        if (e.type !== "phase" || typeof e.app !== "string") continue;
        // A final phase counts only if no operation began after it.
        if (isTransitional(e.phase)) {
          settled.delete(e.app);
          continue;
        }
        settled.add(e.app);
        waiters.get(e.app)?.();
      }
    } catch {
      // the daemon went away: the final status request reports it
    }
    ended = true;
    for (const wake of waiters.values()) wake();
  })();
  return {
    of: (id) =>
      ended || settled.has(id)
        ? Promise.resolve()
        : new Promise((resolve) => waiters.set(id, resolve)),
  };
}
