// Updates as archy remembers them, in `<state>/updates.json` (atomic,
// synced, with a last good backup: @archy/snapshot on @archy/durable-fs):
// the journal of an update under way (each step written before it acts),
// the digests that failed their gate (blocked), and each app's last outcome.
import { join } from "node:path";
import { nodeFs, type DurableFs } from "@archy/durable-fs";
import { createSnapshotStore, type SnapshotStore } from "@archy/snapshot";
import { silentLogger, type Logger } from "../types.js";

/**
 * Where an update stands. Written before the step it names acts:
 * - `pulled`: a pull is under way or done; nothing else changed, but the tag may point
 *   to the new image (a crash here: it is pointed at the old one again);
 * - `replacing`: the old container is being stopped (stop-first) and kept as `archy-<id>.prev`,
 *   the new one created and started as `archy-<id>`;
 * - `gate-passed`: the new one passed; the old one is being removed;
 * - `rolling-back`: the new one failed; it is being removed and the old one put back.
 */
export type UpdateStep = "pulled" | "replacing" | "gate-passed" | "rolling-back";

export interface UpdateJournal {
  step: UpdateStep;
  /** A new image (`archy update`), or an edited manifest (a new config hash). */
  change: "image" | "edit";
  image: string;
  strategy: UpdateStrategy;
  /** The container and image the app ran before (null: it had no container). */
  from: { container: string | null; imageId: string | null };
  to: { imageId: string; digest: string | null; hash: string | null };
  at: string;
  /** Why it rolls back (`rolling-back`). */
  reason?: string;
  /**
   * The tag the pull moved, and the image it named before (null: none); a
   * rollback names that image again. Absent: `image`, and `from.imageId`.
   */
  tag?: { ref: string; imageId: string | null };
  /** `archy update --to`: the manifest's image becomes `to` once the gate passed. */
  manifest?: { file: string; from: string; to: string };
}

/** The tag an update moved, and where it pointed before. */
export const movedTag = (j: UpdateJournal): { ref: string; imageId: string | null } =>
  j.tag ?? { ref: j.image, imageId: j.from.imageId };

/** stop-first: the old container stops before the new one starts (a host port or a volume is held); start-first: no downtime. */
export type UpdateStrategy = "stop-first" | "start-first";

export interface BlockedDigest {
  /** The image id, and its registry digest when known. */
  imageId: string;
  digest: string | null;
  reason: string;
  at: string;
}

export type UpdateOutcome =
  | { kind: "updated"; from: string | null; to: string; at: string }
  | { kind: "rolled-back"; reason: string; imageId: string; at: string };

/** A manifest edit whose container failed its gate: not tried again until the manifest changes. */
export interface RejectedEdit {
  hash: string;
  reason: string;
  at: string;
}

interface UpdatesFile {
  journal: Record<string, UpdateJournal>;
  blocked: Record<string, BlockedDigest[]>;
  last: Record<string, UpdateOutcome>;
  rejected?: Record<string, RejectedEdit>;
}

function validate(data: unknown): UpdatesFile {
  const d = data as Partial<UpdatesFile> | null;
  for (const key of ["journal", "blocked", "last"] as const)
    if (typeof d?.[key] !== "object" || d[key] === null)
      throw new Error(`expected { journal, blocked, last } objects; ${key} is not one`);
  return d as UpdatesFile;
}

export class UpdatesStore {
  private readonly store: SnapshotStore<UpdatesFile>;
  private data: UpdatesFile | null = null;

  constructor(
    stateDir: string,
    private readonly log: Logger = silentLogger,
    opts: { fs?: DurableFs } = {},
  ) {
    this.store = createSnapshotStore<UpdatesFile>({
      path: join(stateDir, "updates.json"),
      version: 1,
      validate,
      fs: opts.fs ?? nodeFs,
    });
  }

  private async load(): Promise<UpdatesFile> {
    if (this.data) return this.data;
    const { loaded, quarantined } = await this.store.loadOrRecover();
    if (quarantined)
      this.log.error({ quarantined }, `updates.json was corrupt; kept aside as ${quarantined}`);
    this.data = loaded?.data ?? { journal: {}, blocked: {}, last: {} };
    return this.data;
  }

  private async save(): Promise<void> {
    await this.store.save(await this.load());
  }

  async journal(id: string): Promise<UpdateJournal | null> {
    return (await this.load()).journal[id] ?? null;
  }

  async journals(): Promise<Record<string, UpdateJournal>> {
    return { ...(await this.load()).journal };
  }

  /** Writes (durably) where the update stands, before that step acts. */
  async step(id: string, entry: UpdateJournal): Promise<void> {
    (await this.load()).journal[id] = entry;
    await this.save();
  }

  /** Ends an update: its journal goes, its outcome is kept (and a failed image blocked). */
  async finish(id: string, outcome: UpdateOutcome, blocked?: BlockedDigest): Promise<void> {
    const data = await this.load();
    delete data.journal[id];
    data.last[id] = outcome;
    if (blocked)
      data.blocked[id] = [
        ...(data.blocked[id] ?? []).filter((b) => b.imageId !== blocked.imageId),
        blocked,
      ];
    await this.save();
  }

  /** Drops a journal without an outcome (an update undone after a crash, nothing judged). */
  async drop(id: string): Promise<void> {
    const data = await this.load();
    if (!(id in data.journal)) return;
    delete data.journal[id];
    await this.save();
  }

  async blocked(id: string): Promise<BlockedDigest[]> {
    return [...((await this.load()).blocked[id] ?? [])];
  }

  /** Clears one blocked image (the owner asked for it by name: `archy update --to`); whether it was. */
  async unblockImage(id: string, imageId: string): Promise<boolean> {
    const data = await this.load();
    const list = data.blocked[id] ?? [];
    if (!list.some((b) => b.imageId === imageId)) return false;
    const rest = list.filter((b) => b.imageId !== imageId);
    if (rest.length > 0) data.blocked[id] = rest;
    else delete data.blocked[id];
    await this.save();
    return true;
  }

  /** Clears an app's blocked images; returns how many were. */
  async unblock(id: string): Promise<number> {
    const data = await this.load();
    const n = data.blocked[id]?.length ?? 0;
    if (n === 0) return 0;
    delete data.blocked[id];
    await this.save();
    return n;
  }

  async last(id: string): Promise<UpdateOutcome | null> {
    return (await this.load()).last[id] ?? null;
  }

  /** The app's manifest edit that failed its gate, if its hash is still the one wanted. */
  async rejection(id: string): Promise<RejectedEdit | null> {
    return (await this.load()).rejected?.[id] ?? null;
  }

  /** Records a failed edit (null: clears it, the edit passed or the manifest moved on). */
  async setRejection(id: string, rejected: RejectedEdit | null): Promise<void> {
    const data = await this.load();
    if (rejected === null && !data.rejected?.[id]) return;
    data.rejected = { ...data.rejected };
    if (rejected) data.rejected[id] = rejected;
    else delete data.rejected[id];
    await this.save();
  }
}
