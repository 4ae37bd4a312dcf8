import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import {
  ignoreMissing,
  makeDirDurably,
  nodeFs,
  unlinkDurably,
  writeFileDurably,
  writeNewFileSynced,
  type DurableFs,
} from "@archy/durable-fs";
import { AlreadyRunningError } from "./errors.js";
import { currentBootId, pidExists, processStartTime } from "./proc.js";

/**
 * How the previous run ended: it left its marker behind (a crash, or the host
 * went down under it), or it released it cleanly in an earlier boot.
 */
export interface PreviousRun {
  pid: number | null;
  /** ISO time the previous holder took the marker. */
  startedAt: string | null;
  bootId: string | null;
  ended: "crash" | "reboot";
  /** True when the previous run exited cleanly before the host rebooted (`ended` is "reboot"). */
  cleanExit: boolean;
}

export interface Marker {
  /** The marker file, `<dir>/<name>.pid`. */
  path: string;
  /**
   * null when there was no previous run, or it released its marker (a clean
   * exit) in this same boot. A clean exit in an earlier boot is a "reboot".
   */
  previous: PreviousRun | null;
  /**
   * Removes the marker if it is still ours. Safe to call twice.
   * With `restorePrevious`, puts the previous run's marker back instead (see
   * {@link ReleaseOptions}).
   */
  release(opts?: ReleaseOptions): Promise<void>;
}

export interface ReleaseOptions {
  /**
   * Leave the previous run's evidence as it was: when this holder replaced a
   * marker left by a crash (or a reboot), that marker is put back byte for
   * byte, so the next holder still sees that the previous run crashed. For a
   * short-lived holder (a one-off command) that must not swallow the crash a
   * later long-lived one recovers from. Without a previous run it is a plain
   * release. The marker is replaced in one rename, never absent in between.
   * Such a holder never writes the `.last` record either: a reboot it saw is
   * still seen by the next holder.
   */
  restorePrevious?: boolean;
}

export interface AcquireOptions {
  /** File name without extension; defaults to "archy" (-> `<dir>/archy.pid`). */
  name?: string;
  /** The filesystem; the real one by default (a test passes a RecordingFs). */
  fs?: DurableFs;
}

interface MarkerRecord {
  pid: number;
  /** Process start time in clock ticks since boot; tells a recycled PID apart. */
  startTime: string | null;
  startedAt: string | null;
  bootId: string | null;
  /** Random per acquisition, so release() never removes another holder's marker. */
  token: string;
}

/** A breaker lock older than this is left over from a process that died while breaking. */
const BREAK_LOCK_STALE_MS = 5_000;

/**
 * Takes the single-instance marker in `dir`.
 *
 * The marker is written whole to a temporary file and linked into place, so
 * it is never seen half-written and exactly one of several racing processes
 * creates it. A marker whose holder is dead (or from another boot) is
 * replaced under a short breaker lock, and reported as `previous`.
 */
export async function acquireMarker(dir: string, opts: AcquireOptions = {}): Promise<Marker> {
  const name = opts.name ?? "archy";
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith(".")) {
    throw new TypeError(`invalid marker name: ${JSON.stringify(name)}`);
  }
  const fs = opts.fs ?? nodeFs;
  await makeDirDurably(fs, dir, 0o700);
  const path = join(dir, `${name}.pid`);
  const lastPath = join(dir, `${name}.last`);
  const record: MarkerRecord = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    startedAt: new Date().toISOString(),
    bootId: currentBootId(),
    token: randomBytes(12).toString("hex"),
  };
  const text = `${JSON.stringify(record)}\n`;
  const tmp = `${path}.${process.pid}.${record.token}.tmp`;
  await writeNewFileSynced(fs, tmp, text, 0o644);

  let previous: PreviousRun | null = null;
  /** The marker we replaced, as it was, for release({ restorePrevious }). */
  let previousText: string | null = null;
  try {
    for (;;) {
      try {
        await fs.link(tmp, path);
        previous = rebootSinceCleanExit(await readOrNull(fs, lastPath));
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const existing = await readOrNull(fs, path);
      if (existing === null) continue; // released between our link and read: try again
      const judged = judge(existing);
      if (judged.alive) throw new AlreadyRunningError(judged.pid, path);
      if (await replaceStale(fs, path, existing, tmp)) {
        previous = judged.previous;
        previousText = existing;
        break;
      }
    }
  } finally {
    await fs.unlink(tmp).catch(ignoreMissing);
  }
  // The marker's name (and the temporary file's removal) must survive a power
  // cut: without it the next boot can find no marker and skip crash recovery.
  await fs.fsyncDir(dir);

  let released = false;
  return {
    path,
    previous,
    async release(releaseOpts: ReleaseOptions = {}) {
      if (released) return;
      released = true;
      const current = await readOrNull(fs, path);
      if (current === null) return;
      if (parseRecord(current)?.token !== record.token) return; // someone else's now
      if (releaseOpts.restorePrevious === true) {
        if (previousText !== null) await restore(fs, path, previousText, `${tmp}.restore`);
        else await unlinkDurably(fs, path);
        return;
      }
      // The clean end, with its boot, before the marker goes: the next holder tells a
      // reboot after a clean exit (podman's containers gone with the host) from a restart.
      const last = { pid: record.pid, startedAt: record.startedAt, bootId: record.bootId };
      await writeFileDurably(fs, lastPath, `${JSON.stringify(last)}\n`, { mode: 0o644 });
      await unlinkDurably(fs, path);
    },
  };
}

/** A clean exit's `.last` record from another boot: the host rebooted since. */
function rebootSinceCleanExit(text: string | null): PreviousRun | null {
  const rec = text === null ? null : parseRecord(text);
  const bootId = currentBootId();
  if (rec === null || rec.bootId === null || bootId === null || rec.bootId === bootId) return null;
  return {
    pid: rec.pid,
    startedAt: rec.startedAt,
    bootId: rec.bootId,
    ended: "reboot",
    cleanExit: true,
  };
}

type Judgement = { alive: true; pid: number } | { alive: false; previous: PreviousRun };

function judge(text: string): Judgement {
  const rec = parseRecord(text);
  if (rec === null) {
    return {
      alive: false,
      previous: { pid: null, startedAt: null, bootId: null, ended: "crash", cleanExit: false },
    };
  }
  const bootId = currentBootId();
  const previous = (ended: PreviousRun["ended"]): Judgement => ({
    alive: false,
    previous: {
      pid: rec.pid,
      startedAt: rec.startedAt,
      bootId: rec.bootId,
      ended,
      cleanExit: false,
    },
  });
  if (rec.bootId !== null && bootId !== null && rec.bootId !== bootId) return previous("reboot");
  if (!pidExists(rec.pid)) return previous("crash");
  const startTime = processStartTime(rec.pid);
  // Same PID, other start time: the PID was recycled by an unrelated process.
  if (rec.startTime !== null && startTime !== null && startTime !== rec.startTime) {
    return previous("crash");
  }
  return { alive: true, pid: rec.pid };
}

/**
 * Replaces a stale marker with ours, holding a breaker lock so that two
 * processes never both replace it: the one that gets the lock checks the
 * marker is still the stale one it judged, then renames ours over it (the
 * path is never absent, so nobody can link in between).
 */
async function replaceStale(
  fs: DurableFs,
  path: string,
  staleText: string,
  tmp: string,
): Promise<boolean> {
  const lock = `${path}.lock`;
  let handle;
  try {
    handle = await fs.create(lock, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const info = await fs.stat(lock).catch(() => null);
    if (info !== null && Date.now() - info.mtimeMs > BREAK_LOCK_STALE_MS) {
      await fs.unlink(lock).catch(ignoreMissing);
    } else {
      await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 5));
    }
    return false;
  }
  try {
    await handle.close();
    const current = await readOrNull(fs, path);
    if (current !== staleText) return false; // it changed: judge again
    // Keep a hard link to tmp's inode so the caller's cleanup of tmp is harmless.
    const mine = `${tmp}.swap`;
    await fs.link(tmp, mine);
    await fs.rename(mine, path);
    return true;
  } finally {
    await fs.unlink(lock).catch(ignoreMissing);
  }
}

/**
 * Puts a previous run's marker back over ours. It is written whole to `tmp`
 * and renamed over the path, which is never absent meanwhile: a racing
 * acquirer sees either our live marker (and gives up) or the previous run's
 * (and reports its crash), never a clean folder. A breaker that judged this
 * same stale marker before we took the folder finds it unchanged and
 * replaces it as it would have then.
 */
async function restore(
  fs: DurableFs,
  path: string,
  previousText: string,
  tmp: string,
): Promise<void> {
  await writeNewFileSynced(fs, tmp, previousText, 0o644);
  try {
    await fs.rename(tmp, path);
  } catch (error) {
    await fs.unlink(tmp).catch(ignoreMissing);
    throw error;
  }
  await fs.fsyncDir(dirname(path));
}

function parseRecord(text: string): MarkerRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.pid !== "number" || !Number.isInteger(v.pid) || v.pid <= 0) return null;
  return {
    pid: v.pid,
    startTime: typeof v.startTime === "string" ? v.startTime : null,
    startedAt: typeof v.startedAt === "string" ? v.startedAt : null,
    bootId: typeof v.bootId === "string" ? v.bootId : null,
    token: typeof v.token === "string" ? v.token : "",
  };
}

async function readOrNull(fs: DurableFs, path: string): Promise<string | null> {
  try {
    return await fs.readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
