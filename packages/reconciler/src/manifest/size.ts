// Sizes as podman reads them (`512m`, `1.5g`, a number of bytes) and as
// archy shows them (`512 MiB`). No schema library: the planner uses it.

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const SIZE = /^(\d+(?:\.\d+)?)\s*([bkmgt])?(?:i?b)?$/i;
/** podman refuses a memory limit under 6 MiB. */
export const MIN_MEMORY = 6 * 1024 ** 2;

/** Bytes of a size such as `512m`, `1.5g`, `100000` (bytes), or null when it is none. */
export function parseSize(value: string | number): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0 ? value : null;
  const m = SIZE.exec(value.trim());
  if (!m) return null;
  const bytes = Math.floor(Number(m[1]) * UNITS[(m[2] ?? "b").toLowerCase()]!);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : null;
}

/** `64 MiB`, `1.5 GiB`, `512 B`: binary units, at most one decimal. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, "");
  return `${text} ${units[unit]}`;
}
