import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import {
  ignoreMissing,
  nodeFs,
  tempPathFor,
  writeFileDurably,
  type DurableFs,
} from "@archy/durable-fs";
import { SnapshotCorruptError, SnapshotVersionError } from "./errors.js";

export interface SnapshotStoreOptions<T> {
  /** The snapshot file. Its folder must exist. */
  path: string;
  /** The version this code writes and reads; a positive integer. */
  version: number;
  /** Checks (and may narrow) loaded data; a throw makes the file corrupt. */
  validate?: (data: unknown) => T;
  /** `migrations[n]` turns data of version n into data of version n + 1. */
  migrations?: Record<number, (data: unknown) => unknown>;
  /** File mode of the snapshot; 0o600 by default. */
  mode?: number;
  /** The filesystem; the real one by default (a test passes a RecordingFs). */
  fs?: DurableFs;
  /** A larger file is corrupt, never read into memory: 16 MiB by default. */
  maxBytes?: number;
}

/** The default `maxBytes`: far above any snapshot archy writes (a few kB per app). */
export const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024;

export interface LoadedSnapshot<T> {
  data: T;
  /** The version the data now has: `version` of the store (older files are migrated). */
  version: number;
  /** When the snapshot was saved, in ms since the epoch. */
  savedAt: number;
  /** The version on disk when a migration ran. */
  migratedFrom?: number;
}

export interface RecoverResult<T> {
  loaded: LoadedSnapshot<T> | null;
  /** Set when the main file was missing or corrupt and the backup was loaded. */
  recoveredFrom?: "backup";
  /** Where a corrupt main file was moved to. */
  quarantined?: string;
}

export interface SnapshotStore<T> {
  /** Writes atomically; concurrent calls are serialised and coalesced (the last data wins). */
  save(data: T): Promise<void>;
  /** null when there is no file. */
  load(): Promise<LoadedSnapshot<T> | null>;
  /** Like load, but moves a corrupt file aside and falls back to the last good backup. */
  loadOrRecover(): Promise<RecoverResult<T>>;
  /** The path of the last-good backup, `<path>.bak`. */
  readonly backupPath: string;
}

interface Envelope {
  version: number;
  savedAt: number;
  checksum: string;
  data: unknown;
}

function checksumOf(data: unknown): string {
  return `sha256:${createHash("sha256").update(JSON.stringify(data)).digest("hex")}`;
}

/** Parses and checks an envelope: shape and checksum. The version is returned for the caller to judge. */
function parseEnvelope(path: string, text: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason =
      text.length === 0 ? "the file is empty" : `invalid JSON (${(error as Error).message})`;
    throw new SnapshotCorruptError(path, reason, { cause: error });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SnapshotCorruptError(path, "not a snapshot envelope (expected an object)");
  }
  const env = value as Partial<Envelope>;
  if (typeof env.version !== "number" || !Number.isInteger(env.version) || env.version < 1) {
    throw new SnapshotCorruptError(path, 'missing or invalid "version"');
  }
  if (typeof env.savedAt !== "number")
    throw new SnapshotCorruptError(path, 'missing or invalid "savedAt"');
  if (typeof env.checksum !== "string") throw new SnapshotCorruptError(path, 'missing "checksum"');
  if (!("data" in env)) throw new SnapshotCorruptError(path, 'missing "data"');
  return env as Envelope;
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Creates a store for one snapshot file. Nothing is touched until a method is called. */
export function createSnapshotStore<T>(opts: SnapshotStoreOptions<T>): SnapshotStore<T> {
  const { path, version } = opts;
  if (!Number.isInteger(version) || version < 1)
    throw new TypeError("version must be a positive integer");
  const mode = opts.mode ?? 0o600;
  const fs = opts.fs ?? nodeFs;
  const maxBytes = opts.maxBytes ?? MAX_SNAPSHOT_BYTES;
  const dir = dirname(path);
  const backupPath = `${path}.bak`;

  async function readOrNull(file: string): Promise<string | null> {
    try {
      const { size } = await fs.stat(file);
      if (size > maxBytes)
        throw new SnapshotCorruptError(
          file,
          `${size} bytes, more than the ${maxBytes} a snapshot may hold`,
        );
      return await fs.readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  /** Reads a file fully: envelope, checksum, version (migrating), validate. */
  function decode(file: string, text: string): LoadedSnapshot<T> {
    const env = parseEnvelope(file, text);
    if (env.version > version) {
      throw new SnapshotVersionError(
        file,
        env.version,
        version,
        "it was written by a newer archy; upgrade to read it",
      );
    }
    if (checksumOf(env.data) !== env.checksum) {
      throw new SnapshotCorruptError(file, "checksum mismatch (the data is not what was written)");
    }
    let data = env.data;
    for (let v = env.version; v < version; v++) {
      const migrate = opts.migrations?.[v];
      if (!migrate) {
        throw new SnapshotVersionError(
          file,
          env.version,
          version,
          `no migration from version ${v} to ${v + 1}`,
        );
      }
      data = migrate(data);
    }
    let typed: T;
    try {
      typed = opts.validate ? opts.validate(data) : (data as T);
    } catch (error) {
      throw new SnapshotCorruptError(file, `invalid data: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return {
      data: typed,
      version,
      savedAt: env.savedAt,
      ...(env.version !== version ? { migratedFrom: env.version } : {}),
    };
  }

  async function loadFile(file: string): Promise<LoadedSnapshot<T> | null> {
    const text = await readOrNull(file);
    return text === null ? null : decode(file, text);
  }

  /** Moves a corrupt file aside under a name that is never reused. */
  async function quarantine(file: string): Promise<string> {
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    for (let n = 0; ; n++) {
      const target = `${file}.corrupt-${stamp}${n === 0 ? "" : `-${n}`}`;
      try {
        await fs.link(file, target); // fails rather than overwrite an earlier quarantine
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw error;
      }
      await fs.unlink(file);
      await fs.fsyncDir(dir);
      return target;
    }
  }

  /**
   * Checks what is on disk before replacing it: a newer version is never
   * replaced; a corrupt file is moved aside, never overwritten; a good one
   * becomes the backup.
   */
  async function prepareReplace(): Promise<void> {
    const text = await readOrNull(path);
    if (text === null) return;
    let env: Envelope;
    try {
      env = parseEnvelope(path, text);
      if (env.version <= version && checksumOf(env.data) !== env.checksum) {
        throw new SnapshotCorruptError(path, "checksum mismatch");
      }
    } catch (error) {
      if (!(error instanceof SnapshotCorruptError)) throw error;
      await quarantine(path);
      return;
    }
    if (env.version > version) {
      throw new SnapshotVersionError(
        path,
        env.version,
        version,
        "refusing to replace a snapshot written by a newer archy",
      );
    }
    // `.<name>.<pid>.<hex>.tmp`: the PID lets a later writer sweep what a killed one left.
    const tmpBak = tempPathFor(path);
    await fs.link(path, tmpBak);
    try {
      await fs.rename(tmpBak, backupPath);
    } finally {
      // Gone after a rename, but left by a failed one, or by a rename between two
      // links of one inode (a writer killed right after this step), which does nothing.
      await fs.unlink(tmpBak).catch(ignoreMissing);
    }
  }

  /** Removes temporary files left by a writer that was killed mid-save (its PID is gone). */
  let sweptLeftovers = false;
  async function sweepLeftovers(): Promise<void> {
    sweptLeftovers = true;
    const prefix = `.${basename(path)}.`;
    for (const name of await fs.readdir(dir)) {
      const m = name.startsWith(prefix)
        ? /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length))
        : null;
      if (m && !pidAlive(Number(m[1]))) await fs.unlink(join(dir, name)).catch(ignoreMissing);
    }
  }

  async function writeOnce(data: T): Promise<void> {
    if (!sweptLeftovers) await sweepLeftovers();
    const envelope: Envelope = { version, savedAt: Date.now(), checksum: checksumOf(data), data };
    const text = `${JSON.stringify(envelope, null, 2)}\n`;
    await prepareReplace();
    await writeFileDurably(fs, path, text, { mode });
  }

  // Serialise and coalesce: one write in flight; the saves that arrive meanwhile
  // are folded into one next write of the latest data, and all of them resolve
  // (or reject) with it.
  type Waiter = { resolve: () => void; reject: (e: unknown) => void };
  let pending: { data: T; waiters: Waiter[] } | null = null;
  let draining = false;

  async function drain(): Promise<void> {
    draining = true;
    while (pending) {
      const job = pending;
      pending = null;
      try {
        await writeOnce(job.data);
        for (const w of job.waiters) w.resolve();
      } catch (error) {
        for (const w of job.waiters) w.reject(error);
      }
    }
    draining = false;
  }

  return {
    backupPath,
    save(data: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        if (pending) pending.data = data;
        else pending = { data, waiters: [] };
        pending.waiters.push({ resolve, reject });
        if (!draining) void drain();
      });
    },
    load: () => loadFile(path),
    async loadOrRecover(): Promise<RecoverResult<T>> {
      let quarantined: string | undefined;
      try {
        const loaded = await loadFile(path);
        if (loaded !== null) return { loaded };
      } catch (error) {
        if (!(error instanceof SnapshotCorruptError)) throw error;
        quarantined = await quarantine(path);
      }
      // Main file missing or corrupt: the backup is the last good one.
      let backup: LoadedSnapshot<T> | null = null;
      try {
        backup = await loadFile(backupPath);
      } catch (error) {
        if (!(error instanceof SnapshotCorruptError)) throw error;
      }
      return {
        loaded: backup,
        ...(backup !== null ? { recoveredFrom: "backup" as const } : {}),
        ...(quarantined !== undefined ? { quarantined } : {}),
      };
    },
  };
}
