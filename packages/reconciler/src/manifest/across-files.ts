// The checks across files (cross-check.ts) with each problem's line and
// column in its app's YAML, as `ManifestError`s.
import { LineCounter, parseDocument, type Document } from "yaml";
import type { AppManifest } from "./app.js";
import { crossCheck, type CrossCheck, type LoadResult, type ParseResult } from "./cross-check.js";
import { locate } from "./locate.js";
import { formatPath, type ManifestError } from "./positions.js";

export type { LoadResult, ParseResult } from "./cross-check.js";

/** Cross-file checks over already parsed manifests (also used for in-memory app lists). */
export function checkAcrossFiles(parsed: ParseResult[]): LoadResult {
  return withPositions(crossCheck(parsed));
}

/** A cross-check's result, its problems located and appended to its errors. */
export function withPositions(check: CrossCheck): LoadResult {
  // Each app's YAML is parsed once, however many problems it has.
  const docs = new Map<AppManifest, { doc: Document; lc: LineCounter }>();
  const docOf = (app: AppManifest) => {
    let d = docs.get(app);
    if (!d) {
      const lc = new LineCounter();
      d = { doc: parseDocument(app.source, { lineCounter: lc, uniqueKeys: false }), lc };
      docs.set(app, d);
    }
    return d;
  };
  const located = check.problems.map(({ app, file, path, message }): ManifestError => {
    const { doc, lc } = docOf(app);
    return { file, ...locate(doc, lc, path), path: formatPath(path), message, app: app.id };
  });
  return {
    apps: check.apps,
    errors: [...check.errors, ...located],
    invalidIds: check.invalidIds,
  };
}
