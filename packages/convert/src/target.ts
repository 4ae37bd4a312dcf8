// The podman an export is written for: the one `podman version` reports on
// the host, or one the owner names (`--podman-version 4.9`). Both exports
// read it: Quadlet keys arrived release by release (keys.ts), and `podman
// kube play` fixed what the Kubernetes export works around.
import { compareVersions, type PodmanVersion } from "./quadlet/keys.js";

const VERSION = /^(?:podman version\s+)?v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+~][0-9A-Za-z.~+-]*)?$/;

/**
 * `major.minor` of a podman version as `podman version` prints it or an
 * owner writes it: `5.4.2`, `v5.4`, `4.9.3-dev`, `podman version 4.3.1`.
 * Undefined for anything else.
 */
export function parsePodmanVersion(text: string): PodmanVersion | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  return `${Number(m[1])}.${Number(m[2])}`;
}

/** Whether `target` is `since` or newer; an unknown target (undefined) is not. */
export const targetHas = (target: PodmanVersion | undefined, since: PodmanVersion): boolean =>
  target !== undefined && compareVersions(target, since) >= 0;

/** Whether `target` is known and older than `since`. */
export const targetLacks = (target: PodmanVersion | undefined, since: PodmanVersion): boolean =>
  target !== undefined && compareVersions(target, since) < 0;
