import { chmod, mkdir, stat } from "node:fs/promises";
import { acquireMarker } from "@archy/crash-marker";
import { CliError, EXIT } from "./cli-error.js";
import type { Context } from "./context.js";

/**
 * Creates the state folder 0700 (and makes an existing one 0700). A folder
 * owned by another user is refused (exit 2): its owner could write the
 * snapshot and desired state that archy restores and acts on. `uid` is the
 * user archy runs as (the process's, where the platform has one).
 */
export async function ensureStateDir(
  stateDir: string,
  uid: number | undefined = process.getuid?.(),
): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const owner = (await stat(stateDir)).uid;
  if (uid !== undefined && owner !== uid)
    throw new CliError(
      `the state folder ${stateDir} is owned by uid ${owner}, not by this user (uid ${uid}); ` +
        "archy does not trust state another user can write: chown it or choose another folder",
      EXIT.usage,
    );
  await chmod(stateDir, 0o700);
}

/**
 * Holds the state folder for the duration of `fn`, the way the daemon does:
 * a second writer gets exit 3. A marker left by a crashed daemon is put back
 * afterwards, so the next daemon still sees the crash and runs recovery.
 */
export async function withStateLock<T>(ctx: Context, fn: () => Promise<T>): Promise<T> {
  await ensureStateDir(ctx.stateDir);
  const marker = await acquireMarker(ctx.stateDir);
  try {
    return await fn();
  } finally {
    await marker.release({ restorePrevious: true });
  }
}
