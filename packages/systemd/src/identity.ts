import { readFile } from "node:fs/promises";
import type { ManagerMode } from "./unit.js";

/** Who runs this process, when systemd does. */
export interface ServiceIdentity {
  /** `INVOCATION_ID`: systemd's id of this run of the unit (32 hex digits). */
  invocationId: string;
  /** The unit whose cgroup holds this process (`archy.service`), when it can be told. */
  unit: string | null;
  /** The system manager's unit, or a user manager's (`user@UID.service` in the path). */
  manager: ManagerMode | null;
  /** `NOTIFY_SOCKET` is set: the unit is `Type=notify` (or another that listens). */
  notify: boolean;
}

/**
 * The service unit of a `/proc/<pid>/cgroup` text: the last `.service` of the
 * unified hierarchy's path (`0::/system.slice/archy.service`), or of the
 * `name=systemd` one on a hybrid host; null when there is none.
 */
export function unitFromCgroup(text: string): { unit: string; manager: ManagerMode } | null {
  const lines = text.split("\n");
  const path =
    lines.find((l) => l.startsWith("0::"))?.slice(3) ??
    lines.find((l) => l.includes(":name=systemd:"))?.split(":name=systemd:")[1];
  if (!path) return null;
  const parts = path.split("/").filter(Boolean);
  const unit = [...parts].reverse().find((p) => p.endsWith(".service"));
  if (!unit) return null;
  const manager = parts.some((p) => /^user@\d+\.service$/.test(p) && p !== unit)
    ? "user"
    : "system";
  return { unit, manager };
}

/**
 * This process's service identity: null when `INVOCATION_ID` is unset (not
 * started by systemd). `readCgroup` defaults to reading `/proc/self/cgroup`.
 */
export async function readServiceIdentity(
  env: Readonly<Record<string, string | undefined>> = process.env,
  readCgroup: () => Promise<string> = () => readFile("/proc/self/cgroup", "utf8"),
): Promise<ServiceIdentity | null> {
  const invocationId = env.INVOCATION_ID;
  if (!invocationId) return null;
  const found = unitFromCgroup(await readCgroup().catch(() => ""));
  return {
    invocationId,
    unit: found?.unit ?? null,
    manager: found?.manager ?? null,
    notify: Boolean(env.NOTIFY_SOCKET),
  };
}
