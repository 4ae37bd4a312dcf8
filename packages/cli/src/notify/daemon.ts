// The daemon's notifications, composed: the config file read, the notifier
// started on the reconciler's events, a recovery's summary told, attempts
// counted by the metrics. An invalid config file does not stop the daemon
// (its apps are supervised without notifications); each problem is logged
// at file:line:column and `archy notify test` says the same.
import { formatManifestError, type ReconcilerEvent } from "@archy/reconciler/api";
import { systemClock } from "@archy/runtime-podman";
import type { Context } from "../context.js";
import { loadConfig } from "./config.js";
import { Notifier } from "./notifier.js";

export interface DaemonNotifications {
  /** The summary of a recovery after a crash or a reboot of the last run. */
  recovered(summary: string): void;
  /** The filesystems low on space now. */
  disk(low: { path: string; summary: string }[]): void;
  close(): Promise<void>;
}

export async function startNotifications(
  ctx: Context,
  reconciler: { subscribe(listener: (event: ReconcilerEvent) => void): () => void },
  log: {
    info(o: object, m: string): void;
    warn(o: object, m: string): void;
    error(o: object, m: string): void;
  },
  onAttempt: (target: string, ok: boolean) => void,
): Promise<DaemonNotifications | null> {
  const loaded = await loadConfig(ctx.configFile, ctx.configNamed).catch((error: unknown) => {
    log.error(
      { file: ctx.configFile, err: String(error) },
      `cannot read ${ctx.configFile}: no notifications`,
    );
    return null;
  });
  if (!loaded) return null;
  if (loaded.config === null) {
    for (const e of loaded.errors)
      log.error({ file: e.file, line: e.line, column: e.column }, formatManifestError(e));
    log.error(
      { file: ctx.configFile },
      `${ctx.configFile} is invalid: no notifications until it is fixed and the daemon restarts`,
    );
    return null;
  }
  const config = loaded.config.notify;
  if (!config || config.targets.length === 0) return null;
  const notifier = new Notifier({
    config,
    stateDir: ctx.stateDir,
    clock: systemClock,
    log,
    onAttempt,
  });
  await notifier.start();
  const unsubscribe = reconciler.subscribe(notifier.onEvent);
  log.info(
    { targets: config.targets.map((t) => t.name) },
    `notifications to ${config.targets.map((t) => t.name).join(", ")}`,
  );
  return {
    recovered: (summary) => notifier.note("recovered", "recovered", summary),
    disk: (low) => notifier.disk(low),
    async close() {
      unsubscribe();
      await notifier.close();
    },
  };
}
