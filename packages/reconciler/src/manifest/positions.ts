// Where a problem is in a manifest: a field path mapped to file:line:column of
// the YAML document, and a "did you mean" hint for a near miss.
import { isMap, isScalar, type Document, type LineCounter } from "yaml";

export interface ManifestError {
  file: string;
  line: number;
  column: number;
  /** Field path such as `app.container.ports[1]`; empty for file-level errors. */
  path: string;
  message: string;
  /** The app id, when the file got far enough to say it. */
  app?: string;
}

export function formatManifestError(e: ManifestError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.path ? `${e.path}: ` : ""}${e.message}`;
}

/** `["app", "container", "ports", 1]` as `app.container.ports[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out ? "." : ""}${String(p)}`;
  return out;
}

/**
 * Where a path is in the YAML source; a missing node points at its parent's
 * key. With `key`, the position of that key in the map at `path`.
 */
export function locate(
  doc: Document,
  lc: LineCounter,
  path: readonly (string | number)[],
  key?: string,
): { line: number; column: number } {
  const pos = (offset: number) => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (key !== undefined) {
    const map = path.length ? doc.getIn(path, true) : doc.contents;
    if (isMap(map)) {
      const pair = map.items.find((it) => isScalar(it.key) && it.key.value === key);
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return pos(range[0]);
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const node = (n === 0 ? doc.contents : doc.getIn(sub, true)) as {
      range?: [number, number, number];
    } | null;
    if (!node?.range) continue;
    if (n < path.length && n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(sub.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === sub[n - 1]);
        const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
        if (range) return pos(range[0]);
      }
    }
    return pos(node.range[0]);
  }
  return { line: 1, column: 1 };
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** The candidate nearest to `key` (case and `-`/`_` aside), or null when none is near. */
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
  return best !== null && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}
