import { chmod, mkdir } from "node:fs/promises";
import { acquireMarker } from "@archy/crash-marker";
import type { Context } from "./context.js";

/** Creates the state folder 0700. */
export async function ensureStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
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
