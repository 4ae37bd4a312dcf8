// The messages not yet delivered, per target, and the problems open, in `<state>/notify-outbox.json`
// (atomic, synced, with a last good backup: @archy/snapshot). Written before
// a delivery is tried and after it succeeded, so a daemon that stops or dies
// delivers what is left when it starts again: at least once. Bounded: past
// MAX_PENDING per target the oldest go (said in the log), so a target that
// never answers cannot grow the file without end.
import { join } from "node:path";
import { createSnapshotStore, type SnapshotStore } from "@archy/snapshot";
import type { Notice } from "./alerts.js";

export interface Pending {
  target: string;
  notice: Notice;
  attempts: number;
  /** When the next attempt is due (ms since the epoch). */
  nextAt: number;
  lastError: string | null;
}

interface OutboxFile {
  pending: Pending[];
  /** The problems open when it was written: the next daemon resolves them. */
  open?: Notice[];
}

export const MAX_PENDING = 500;

function validate(data: unknown): OutboxFile {
  const d = data as Partial<OutboxFile> | null;
  if (!Array.isArray(d?.pending)) throw new Error("expected { pending: [...] }");
  return d as OutboxFile;
}

export class Outbox {
  private readonly store: SnapshotStore<OutboxFile>;
  private data: OutboxFile | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.store = createSnapshotStore<OutboxFile>({
      path: join(stateDir, "notify-outbox.json"),
      version: 1,
      validate,
    });
  }

  private async load(): Promise<OutboxFile> {
    if (this.data) return this.data;
    const { loaded } = await this.store.loadOrRecover();
    this.data ??= loaded?.data ?? { pending: [] };
    return this.data;
  }

  /** Writes the list as it is now; writes are one after the other. */
  private save(): Promise<void> {
    this.saving = this.saving.then(async () => this.store.save(await this.load()));
    return this.saving;
  }

  /** Every pending message (targets no longer configured are dropped by the caller). */
  async all(): Promise<Pending[]> {
    return [...(await this.load()).pending];
  }

  /** Adds a message for each target, durably; returns the ones dropped for room. */
  async add(entries: Pending[]): Promise<Pending[]> {
    const data = await this.load();
    data.pending.push(...entries);
    const dropped: Pending[] = [];
    for (const target of new Set(entries.map((e) => e.target))) {
      const mine = data.pending.filter((p) => p.target === target);
      dropped.push(...mine.slice(0, Math.max(0, mine.length - MAX_PENDING)));
    }
    if (dropped.length > 0) data.pending = data.pending.filter((p) => !dropped.includes(p));
    await this.save();
    return dropped;
  }

  /** A message was delivered (or given up on): it goes. */
  async remove(entry: Pending): Promise<void> {
    const data = await this.load();
    data.pending = data.pending.filter((p) => p !== entry);
    await this.save();
  }

  /** A failed attempt, recorded with when the next is due. */
  async failed(entry: Pending, error: string, nextAt: number): Promise<void> {
    entry.attempts++;
    entry.lastError = error;
    entry.nextAt = nextAt;
    await this.save();
  }

  /** The problems open when the last daemon wrote this. */
  async openProblems(): Promise<Notice[]> {
    return [...((await this.load()).open ?? [])];
  }

  /** Records the problems open now. */
  async setOpen(open: Notice[]): Promise<void> {
    (await this.load()).open = open;
    await this.save();
  }

  /** Keeps only the messages of these targets (the config changed). */
  async keepTargets(names: string[]): Promise<void> {
    const data = await this.load();
    const before = data.pending.length;
    data.pending = data.pending.filter((p) => names.includes(p.target));
    if (data.pending.length !== before) await this.save();
  }
}
