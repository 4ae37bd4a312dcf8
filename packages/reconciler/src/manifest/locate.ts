// Where a field path is in a manifest's YAML document, as line and column.
import { isMap, isScalar, type Document, type LineCounter } from "yaml";

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
