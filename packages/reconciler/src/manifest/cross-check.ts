// Checks that need every manifest at once — duplicate ids, dependencies on
// apps that do not exist, dependency cycles — without the YAML library: each
// problem is named by app and field path. across-files.ts gives them a line
// and column; a folder without such problems never loads it.
import { APP_ID, type AppManifest } from "./app.js";
import { MAX_ERRORS_PER_FILE } from "./limits.js";
import { didYouMean, type ManifestError } from "./positions.js";

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

/** A problem across files, at a field of one app's manifest, not yet located in its YAML. */
export interface CrossFileProblem {
  app: AppManifest;
  /** The file as given (as in `ParseResult.file`). */
  file: string;
  path: (string | number)[];
  message: string;
}

/** A `LoadResult` whose cross-file problems still lack a line and column (they follow `errors`). */
export interface CrossCheck extends LoadResult {
  problems: CrossFileProblem[];
}

/**
 * The ids a file that failed claims: those its errors name, else its file
 * name's stem when that is an app id (`archy install` writes `<id>.yaml`).
 * Their containers are not orphans, and apps depending on them wait.
 */
function claimedIds(p: ParseResult): string[] {
  const named = p.errors.map((e) => e.app).filter((x): x is string => !!x);
  if (named.length > 0 || p.app) return named;
  const stem = /([^/\\]+)\.ya?ml$/.exec(p.file)?.[1];
  return p.errors.length > 0 && stem !== undefined && APP_ID.test(stem) ? [stem] : [];
}

/** The cross-file checks over already parsed manifests (also used for in-memory app lists). */
export function crossCheck(parsed: ParseResult[]): CrossCheck {
  const errors: ManifestError[] = parsed.flatMap((p) => p.errors);
  const problems: CrossFileProblem[] = [];
  const invalidIds = [...new Set(parsed.flatMap(claimedIds))];
  const byId = new Map<string, AppManifest>();
  const labels = new Map<AppManifest, string>(
    parsed.flatMap((p) => (p.app ? [[p.app, p.file] as const] : [])),
  );
  const fileLabel = (app: AppManifest) => labels.get(app) ?? app.file;
  const problem = (app: AppManifest, path: (string | number)[], message: string) =>
    problems.push({ app, file: fileLabel(app), path, message });
  const valid: AppManifest[] = [];
  for (const p of parsed) {
    if (!p.app) continue;
    const first = byId.get(p.app.id);
    if (first) {
      problem(
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
  const knownList = [...known];
  for (const app of valid) {
    let unknown = 0;
    app.dependsOn.forEach((dep, i) => {
      if (!known.has(dep)) {
        dropped.add(app.id);
        // A file naming 100,000 unknown apps gets as many hints as one naming 50.
        if (++unknown > MAX_ERRORS_PER_FILE) return;
        const hint = didYouMean(dep, knownList);
        problem(
          app,
          ["app", "depends_on", i],
          `unknown app "${dep}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
        );
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
        problem(
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
    problems,
    invalidIds: [...new Set([...invalidIds, ...dropped])],
  };
}
