// A number of bytes as the imported manifest and the Quadlet unit write it:
// in the largest binary unit that divides it exactly, so `1.5g` reads back
// as `1536m` and nothing is rounded. archy's manifest (`parseSize`) and
// podman (`--memory`, docker/go-units' RAMInBytes) read these alike, 1024-based.

/**
 * Bytes in the largest of the GiB, MiB and KiB that divides them exactly,
 * written with that unit's suffix (`g`/`m`/`k` here, `Gi`/`Mi`/`Ki` for
 * Kubernetes), else with `bytesSuffix`.
 */
export function exactSize(
  bytes: number,
  suffixes: readonly [gib: string, mib: string, kib: string],
  bytesSuffix: string,
): string {
  const units = [1024 ** 3, 1024 ** 2, 1024];
  for (const [i, unit] of units.entries())
    if (bytes > 0 && bytes % unit === 0) return `${bytes / unit}${suffixes[i]}`;
  return `${bytes}${bytesSuffix}`;
}

/** `512m`, `1536m`, `1g`, `64k`, `1000b`. */
export const sizeText = (bytes: number): string => exactSize(bytes, ["g", "m", "k"], "b");
