import { basename } from "node:path";
import { createSnapshotStore, type SnapshotStore } from "@archy/snapshot";
import type { Core } from "../core.js";
import { LABEL_APP } from "../manifest/spec.js";
import type { Desired, Phase } from "../types.js";

/** What the daemon persists in `<state>/snapshot.json`: enough to recover and to resurrect. */
export interface SnapshotState {
  apps: {
    id: string;
    desired: Desired;
    phase: Phase;
    manifest: { file: string; source: string };
    container: {
      name: string;
      id: string;
      state: string;
      image: string;
      startedAt: string | null;
    } | null;
  }[];
  /** Every container seen running at the last successful observation, managed or not. */
  containers: { name: string; id: string; image: string; state: string; app: string | null }[];
}

/**
 * The version of SnapshotState. A change of its shape raises it and adds a
 * migration from the previous version to `SNAPSHOT_MIGRATIONS`; a file of a
 * higher version is refused (SnapshotVersionError) and left untouched.
 */
export const SNAPSHOT_VERSION = 1;

/** `SNAPSHOT_MIGRATIONS[n]` turns version n data into version n + 1 (none yet). */
export const SNAPSHOT_MIGRATIONS: Record<number, (data: unknown) => unknown> = {};

/** Checks the shape of a snapshot's data; throws with what was expected. */
export function validateSnapshot(data: unknown): SnapshotState {
  const d = data as Partial<SnapshotState> | null;
  if (!d || !Array.isArray(d.apps) || !Array.isArray(d.containers))
    throw new Error("expected { apps: [...], containers: [...] }");
  for (const a of d.apps)
    if (typeof a?.id !== "string" || typeof a.manifest?.source !== "string")
      throw new Error("every app needs an id and its manifest");
  return d as SnapshotState;
}

/** The crash-safe store of a SnapshotState file (atomic writes, `.bak`, checksum, migration). */
export function snapshotStateStore(path: string): SnapshotStore<SnapshotState> {
  return createSnapshotStore<SnapshotState>({
    path,
    version: SNAPSHOT_VERSION,
    migrations: SNAPSHOT_MIGRATIONS,
    validate: validateSnapshot,
  });
}

/** The snapshot of what the reconciler knows now: manifests, desired states, last observation. */
export async function snapshotStateOf(
  core: Pick<Core, "desired" | "last" | "manifests" | "states">,
): Promise<SnapshotState> {
  await core.manifests.ensureLoaded();
  const desired = await core.desired.load();
  return {
    apps: core.manifests.valid().map((app) => {
      const c = core.states.get(app.id).container;
      return {
        id: app.id,
        desired: desired[app.id] ?? "running",
        phase: core.states.get(app.id).phase,
        manifest: { file: basename(app.file), source: app.source },
        container: c
          ? { name: c.name, id: c.id, state: c.state, image: c.image, startedAt: c.startedAt }
          : null,
      };
    }),
    containers: (core.last.containers ?? [])
      .filter((c) => c.state === "running")
      .map((c) => ({
        name: c.name,
        id: c.id,
        image: c.image,
        state: c.state,
        app: c.labels[LABEL_APP] ?? null,
      })),
  };
}
