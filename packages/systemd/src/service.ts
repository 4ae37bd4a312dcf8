import { stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  makeDirDurably,
  nodeFs,
  unlinkDurably,
  writeFileDurably,
  type DurableFs,
} from "@archy/durable-fs";
import { SystemdError } from "./errors.js";
import type { Systemctl, UnitState } from "./systemctl.js";
import { readUnitOptions, UNIT_NAME, type InstalledUnitOptions } from "./unit.js";

/** Where a service lives and how its manager is reached. */
export interface ServicePlace {
  /** The unit file (`unitPath(mode)`). */
  path: string;
  /** `systemctl` or `systemctl --user`. */
  systemctl: Systemctl;
  /** Default `nodeFs`. */
  fs?: DurableFs;
}

export interface InstallResult {
  path: string;
  /** The file was written (it was absent or held other text). */
  changed: boolean;
  /** `daemon-reload` ran. */
  reloaded: boolean;
  /** The service ran with the old file and was restarted with the new one. */
  restarted: boolean;
  /** The unit after install. */
  state: UnitState;
}

export interface UninstallResult {
  path: string;
  /** The unit file was there and is removed. */
  removed: boolean;
  /** The service was running and is stopped (its containers keep running). */
  stopped: boolean;
}

export interface ServiceStatus {
  path: string;
  /** The unit file exists. */
  installed: boolean;
  /** What the manager says of the unit. */
  state: UnitState;
  /** The options the installed file gives the daemon (`--interval`, `--http`). */
  options: InstalledUnitOptions | null;
  /** The file is what an install would write now; null when not installed. */
  upToDate: boolean | null;
}

const readText = (fs: DurableFs, path: string) =>
  fs.readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });

const running = (s: UnitState) =>
  s.activeState === "active" || s.activeState === "activating" || s.activeState === "reloading";

/**
 * Installs the unit text and starts the service: the file is written (durably,
 * atomically, 0644) only when its content changed, then `daemon-reload`,
 * `enable --now` (which waits for READY=1), and `try-restart` when the file
 * changed while the service ran. A failed unit's failure is reset first.
 */
export async function installService(
  place: ServicePlace,
  unitText: string,
): Promise<InstallResult> {
  const fs = place.fs ?? nodeFs;
  const { systemctl, path } = place;
  const before = await systemctl.show(UNIT_NAME);
  const changed = (await readText(fs, path)) !== unitText;
  if (changed) {
    await makeDirDurably(fs, dirname(path), 0o755);
    await writeFileDurably(fs, path, unitText, { mode: 0o644 });
  }
  const reloaded = changed || before.needDaemonReload;
  if (reloaded) await systemctl.daemonReload();
  if (before.activeState === "failed") await systemctl.resetFailed(UNIT_NAME);
  await systemctl.enableNow(UNIT_NAME);
  const restarted = changed && running(before);
  if (restarted) await systemctl.tryRestart(UNIT_NAME);
  return { path, changed, reloaded, restarted, state: await systemctl.show(UNIT_NAME) };
}

/**
 * Stops and disables the service (`disable --now`: the daemon finishes its
 * pass and exits; containers keep running), removes the unit file, and
 * reloads the manager. Nothing to do is not an error.
 */
export async function uninstallService(place: ServicePlace): Promise<UninstallResult> {
  const fs = place.fs ?? nodeFs;
  const { systemctl, path } = place;
  const before = await systemctl.show(UNIT_NAME);
  const installed = (await readText(fs, path)) !== null;
  const known = before.loadState !== null && before.loadState !== "not-found";
  if (known) await systemctl.disableNow(UNIT_NAME);
  if (installed) await unlinkDurably(fs, path);
  if (known || installed) {
    await systemctl.daemonReload();
    // A failed run is forgotten with the unit; a unit already gone has nothing to reset.
    if (before.activeState === "failed")
      await systemctl.resetFailed(UNIT_NAME).catch((error: unknown) => {
        if (!SystemdError.isInstance(error) || error.code !== "ESYSTEMCTL") throw error;
      });
  }
  return { path, removed: installed, stopped: known && running(before) };
}

/**
 * The service as it is: the file, the manager's view, and whether the file
 * is what `render` (given the options the installed file was written with)
 * would write now.
 */
export async function serviceStatus(
  place: ServicePlace,
  render: (installed: InstalledUnitOptions) => string,
): Promise<ServiceStatus> {
  const fs = place.fs ?? nodeFs;
  const text = await readText(fs, place.path);
  const state = await place.systemctl.show(UNIT_NAME);
  const options = text === null ? null : readUnitOptions(text);
  return {
    path: place.path,
    installed: text !== null,
    state,
    options,
    upToDate: text === null || options === null ? null : render(options) === text,
  };
}

/** Whether `user` lingers (`loginctl enable-linger`): their manager and services run without a login. */
export async function lingerEnabled(user: string, root = "/"): Promise<boolean> {
  return (await stat(join(root, "var/lib/systemd/linger", user)).catch(() => null)) !== null;
}
