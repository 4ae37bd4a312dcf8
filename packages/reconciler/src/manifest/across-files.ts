// Checks that need every manifest at once: duplicate ids, dependencies on
// apps that do not exist, and dependency cycles.
import { LineCounter, parseDocument } from "yaml";
import { didYouMean, formatPath, locate, type ManifestError } from "./positions.js";
import type { AppManifest } from "./schema.js";

/** One file parsed and validated on its own (what `parseManifest` returns). */
export interface ParseResult {
  app: AppManifest | null;
  errors: ManifestError[];
  /** The file as given, used to name it in errors. */
  file: string;
}

export interface LoadResult {
  apps: AppManifest[];
  errors: ManifestError[];
  /** Ids declared by files that failed validation: their containers are not orphans. */
  invalidIds: string[];
}

/** Cross-file checks over already parsed manifests (also used for in-memory app lists). */
export function checkAcrossFiles(parsed: ParseResult[]): LoadResult {
  const errors: ManifestError[] = parsed.flatMap((p) => p.errors);
  const invalidIds = [
    ...new Set(parsed.flatMap((p) => p.errors.map((e) => e.app).filter((x): x is string => !!x))),
  ];
  const byId = new Map<string, AppManifest>();
  const labels = new Map<AppManifest, string>(
    parsed.flatMap((p) => (p.app ? [[p.app, p.file] as const] : [])),
  );
  const fileLabel = (app: AppManifest) => labels.get(app) ?? app.file;
  const reparse = (app: AppManifest) => {
    const lc = new LineCounter();
    return { doc: parseDocument(app.source, { lineCounter: lc }), lc };
  };
  const errAt = (app: AppManifest, path: (string | number)[], message: string) => {
    const { doc, lc } = reparse(app);
    errors.push({
      file: fileLabel(app),
      ...locate(doc, lc, path),
      path: formatPath(path),
      message,
      app: app.id,
    });
  };
  const valid: AppManifest[] = [];
  for (const p of parsed) {
    if (!p.app) continue;
    const first = byId.get(p.app.id);
    if (first) {
      errAt(
        p.app,
        ["app", "id"],
        `duplicate app id "${p.app.id}" (already declared in ${fileLabel(first)})`,
      );
      continue;
    }
    byId.set(p.app.id, p.app);
    valid.push(p.app);
  }
  const known = new Set([...byId.keys(), ...invalidIds]);
  const dropped = new Set<string>();
  for (const app of valid) {
    app.dependsOn.forEach((dep, i) => {
      if (!known.has(dep)) {
        errAt(
          app,
          ["app", "depends_on", i],
          `unknown app "${dep}"${didYouMean(dep, [...known]) ? ` (did you mean "${didYouMean(dep, [...known])}"?)` : ""}`,
        );
        dropped.add(app.id);
      }
    });
  }
  // Cycles: every app on one is an error.
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string) => {
    if (state.get(id) === "done") return;
    if (state.get(id) === "visiting") {
      const cycle = stack.slice(stack.indexOf(id));
      for (const member of cycle) {
        if (dropped.has(member)) continue;
        const app = byId.get(member)!;
        const next = cycle[(cycle.indexOf(member) + 1) % cycle.length]!;
        errAt(
          app,
          ["app", "depends_on", app.dependsOn.indexOf(next)],
          `dependency cycle: ${[...cycle, id].join(" -> ")}`,
        );
        dropped.add(member);
      }
      return;
    }
    state.set(id, "visiting");
    stack.push(id);
    for (const dep of byId.get(id)?.dependsOn ?? []) if (byId.has(dep)) visit(dep);
    stack.pop();
    state.set(id, "done");
  };
  for (const id of byId.keys()) visit(id);
  return {
    apps: valid.filter((a) => !dropped.has(a.id)),
    errors,
    invalidIds: [...new Set([...invalidIds, ...dropped])],
  };
}
