// A problem in a manifest as the owner reads it: file:line:column, the field
// path, the message, and a "did you mean" hint for a near miss. Finding the
// line and column in the YAML document is locate.ts: this module loads no YAML
// library, so printing errors does not load one.

// The error and its format are part of the API contract (../api): declared there once.
import { formatManifestError, type ManifestError } from "../api/status.js";

export { formatManifestError, type ManifestError };

/** `["app", "container", "ports", 1]` as `app.container.ports[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out ? "." : ""}${String(p)}`;
  return out;
}

/** Edits from `a` to `b`: insertions, deletions, substitutions and swaps of two neighbours. */
function editDistance(a: string, b: string): number {
  let before = Array.from({ length: b.length + 1 }, () => 0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, before[j - 2]! + 1);
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidate nearest to `key` (case and `-`/`_` aside), or null when none
 * is near: at most one edit per three characters (at least one), so `nmae`
 * finds `name` but `<<` does not find `id`.
 */
export function didYouMean(key: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  const k = key.toLowerCase().replace(/-/g, "_");
  for (const c of candidates) {
    const d = k === c ? 0 : editDistance(k, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : null;
}
