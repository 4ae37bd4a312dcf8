import { join } from "node:path";
import { makeDirDurably, nodeFs, type DurableFs } from "@archy/durable-fs";
import { createSnapshotStore, type SnapshotStore } from "@archy/snapshot";
import { silentLogger, type Desired, type Logger } from "./types.js";

interface DesiredFile {
  apps: Record<string, Desired>;
}

function validate(data: unknown): DesiredFile {
  const apps = (data as { apps?: unknown } | null)?.apps;
  if (typeof apps !== "object" || apps === null)
    throw new Error("expected { apps: { <id>: running|stopped } }");
  for (const [id, v] of Object.entries(apps)) {
    if (v !== "running" && v !== "stopped")
      throw new Error(`app ${id}: expected running or stopped`);
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
    if (all[id] === desired) return;
    all[id] = desired;
    await this.store.save({ apps: { ...all } });
  }

  async setMany(entries: Record<string, Desired>): Promise<void> {
    const all = await this.load();
    Object.assign(all, entries);
    await this.store.save({ apps: { ...all } });
  }

  async forget(id: string): Promise<void> {
    const all = await this.load();
    if (!(id in all)) return;
    delete all[id];
    await this.store.save({ apps: { ...all } });
  }
}
