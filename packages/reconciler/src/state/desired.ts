import { join } from "node:path";
import { makeDirDurably, nodeFs, type DurableFs } from "@archy/durable-fs";
import { createSnapshotStore, type SnapshotStore } from "@archy/snapshot";
import { silentLogger, type Desired, type Logger } from "../types.js";

/** An `archy remove` acknowledged to the owner and not finished yet (the daemon may die meanwhile). */
export interface PendingRemoval {
  purge: boolean;
}

interface DesiredFile {
  apps: Record<string, Desired>;
  /** By app id; absent in files written before removals were persisted. */
  removing?: Record<string, PendingRemoval>;
}

function validate(data: unknown): DesiredFile {
  const apps = (data as { apps?: unknown } | null)?.apps;
  if (typeof apps !== "object" || apps === null)
    throw new Error("expected { apps: { <id>: running|stopped } }");
  for (const [id, v] of Object.entries(apps)) {
    if (v !== "running" && v !== "stopped")
      throw new Error(`app ${id}: expected running or stopped`);
  }
  const removing = (data as { removing?: unknown }).removing;
  if (removing !== undefined) {
    if (typeof removing !== "object" || removing === null)
      throw new Error("expected removing: { <id>: { purge: boolean } }");
    for (const [id, v] of Object.entries(removing))
      if (typeof (v as PendingRemoval | null)?.purge !== "boolean")
        throw new Error(`removing ${id}: expected { purge: boolean }`);
  }
  return data as DesiredFile;
}

/**
 * The owner's intents (`archy stop` / `archy start`), persisted atomically in
 * `<state>/desired.json` so they survive passes, restarts, crashes and reboots.
 * An app with no entry is desired running.
 */
export class DesiredStateStore {
  private readonly store: SnapshotStore<DesiredFile>;
  private cache: Record<string, Desired> | null = null;
  private removing: Record<string, PendingRemoval> = {};
  /** Set when a corrupt file was moved aside on load. */
  quarantined: string | undefined;
  /** Set when the intents came from the last good backup after that. */
  recoveredFrom: "backup" | undefined;

  private readonly fs: DurableFs;

  constructor(
    private readonly stateDir: string,
    private readonly log: Logger = silentLogger,
    /** `fs`: the filesystem, the real one by default (a test passes a RecordingFs). */
    opts: { fs?: DurableFs } = {},
  ) {
    this.fs = opts.fs ?? nodeFs;
    this.store = createSnapshotStore<DesiredFile>({
      path: join(stateDir, "desired.json"),
      version: 1,
      validate,
      fs: this.fs,
    });
  }

  async load(): Promise<Record<string, Desired>> {
    if (this.cache) return this.cache;
    await makeDirDurably(this.fs, this.stateDir, 0o700);
    const { loaded, quarantined, recoveredFrom } = await this.store.loadOrRecover();
    this.quarantined = quarantined;
    this.recoveredFrom = recoveredFrom;
    const notice = this.notice();
    if (notice) this.log.error({ quarantined, recoveredFrom: recoveredFrom ?? null }, notice);
    this.cache = { ...(loaded?.data.apps ?? {}) };
    this.removing = { ...(loaded?.data.removing ?? {}) };
    return this.cache;
  }

  /** What happened to a corrupt file at load, in words; null when nothing did. */
  notice(): string | null {
    if (!this.quarantined) return null;
    return `desired.json was corrupt and is kept aside as ${this.quarantined}; ${this.recoveredFrom ? "the owner's intents come from its last good backup (desired.json.bak)" : "there was no good backup: every app is desired running until started or stopped again"}`;
  }

  async get(id: string): Promise<Desired> {
    return (await this.load())[id] ?? "running";
  }

  async set(id: string, desired: Desired): Promise<void> {
    const all = await this.load();
    if (all[id] === desired && !(id in this.removing)) return;
    await this.setMany({ [id]: desired });
  }

  /** Persists intents; an intent for an app whose removal is pending cancels the removal (the owner's latest word). */
  async setMany(entries: Record<string, Desired>): Promise<void> {
    const all = await this.load();
    Object.assign(all, entries);
    for (const id of Object.keys(entries)) delete this.removing[id];
    await this.save();
  }

  async forget(id: string): Promise<void> {
    const all = await this.load();
    if (!(id in all) && !(id in this.removing)) return;
    delete all[id];
    delete this.removing[id];
    await this.save();
  }

  /**
   * Persists an `archy remove` before it is acknowledged, so that a daemon
   * that dies before the removal ends leaves it to the next one to finish.
   */
  async beginRemoval(id: string, removal: PendingRemoval): Promise<void> {
    await this.load();
    this.removing[id] = { ...removal };
    await this.save();
  }

  /** Removals acknowledged and not finished, by app id. */
  async pendingRemovals(): Promise<Record<string, PendingRemoval>> {
    await this.load();
    return { ...this.removing };
  }

  /** Whether removals may be pending: true until the file is loaded (a sync check a pass can skip on). */
  mayHavePendingRemovals(): boolean {
    return this.cache === null || Object.keys(this.removing).length > 0;
  }

  private async save(): Promise<void> {
    const apps = { ...(await this.load()) };
    const removing = { ...this.removing };
    await this.store.save(Object.keys(removing).length > 0 ? { apps, removing } : { apps });
  }
}
