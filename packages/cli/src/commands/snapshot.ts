import { join, resolve } from "node:path";
import { snapshotStateStore, type SnapshotState } from "@archy/reconciler";
import { DaemonClient } from "../client.js";
import type { Context } from "../context.js";
import { CliError, EXIT } from "../cli-error.js";
import { localReconciler } from "../local.js";
import { ensureStateDir } from "../state-lock.js";

export const defaultSnapshot = (ctx: Context) => join(ctx.stateDir, "snapshot.json");

/** Writes the current state (manifests, desired states, running containers) as a snapshot. */
export async function save(ctx: Context, file?: string): Promise<number> {
  const daemon = await DaemonClient.connect(ctx.socketPath);
  let state: SnapshotState;
  if (daemon) state = await daemon.request<SnapshotState>("GET", "/v1/snapshot");
  else {
    const r = localReconciler(ctx);
    await r.refresh();
    state = await r.snapshotState();
  }
  const path = file ? resolve(file) : defaultSnapshot(ctx);
  if (!file) await ensureStateDir(ctx.stateDir);
  await snapshotStateStore(path).save(state);
  if (ctx.json)
    ctx.out.document({ path, apps: state.apps.length, containers: state.containers.length });
  else
    ctx.out.line(
      `saved ${state.apps.length} app${state.apps.length === 1 ? "" : "s"} and ${state.containers.length} running container${state.containers.length === 1 ? "" : "s"} to ${path}`,
    );
  return 0;
}

export async function load(path: string): Promise<{ state: SnapshotState; savedAt: number }> {
  const loaded = await snapshotStateStore(path).load(); // corrupt or newer: exit 2
  if (!loaded) throw new CliError(`no snapshot at ${path}`, EXIT.usage);
  return { state: loaded.data, savedAt: loaded.savedAt };
}

export async function show(ctx: Context, file?: string): Promise<number> {
  const path = file ? resolve(file) : defaultSnapshot(ctx);
  const { state, savedAt } = await load(path);
  if (ctx.json) {
    ctx.out.document({
      path,
      savedAt: new Date(savedAt).toISOString(),
      ...state,
      apps: state.apps.map(({ manifest, ...a }) => ({ ...a, manifest: { file: manifest.file } })),
    });
    return 0;
  }
  ctx.out.line(`${path}, saved ${new Date(savedAt).toISOString()}`);
  ctx.out.table(
    ["APP", "DESIRED", "PHASE", "CONTAINER", "MANIFEST"],
    state.apps.map((a) => [
      a.id,
      a.desired,
      a.phase,
      a.container ? `${a.container.name} ${a.container.state}` : "-",
      a.manifest.file,
    ]),
  );
  const unmanaged = state.containers.filter((c) => c.app === null);
  if (unmanaged.length) {
    ctx.out.line();
    ctx.out.table(
      ["RUNNING CONTAINER (NOT AN APP)", "IMAGE"],
      unmanaged.map((c) => [c.name, c.image]),
    );
  }
  return 0;
}
