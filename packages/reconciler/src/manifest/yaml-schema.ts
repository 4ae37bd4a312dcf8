// A YAML file checked against a zod schema as a manifest is: each problem
// names `file:line:column`, the field path and what was expected, an unknown
// key with a "did you mean". For manifests (parse.ts) and for any other
// file archy reads of the owner's (the daemon's config).
import type { z } from "zod";
import { locate } from "./locate.js";
import { didYouMean, formatPath, type ManifestError } from "./positions.js";
import { keysAt } from "./schema.js";
import { readYaml } from "./yaml-doc.js";

type Path = readonly (string | number)[];
type Report = (path: Path, message: string, key?: string) => void;

/** Says each of zod's issues through `err`, at the node (or key) it is about. */
export function reportIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  allowedKeys: (path: Path) => string[],
  err: Report,
): void {
  const valueAt = (path: Path) =>
    path.reduce<unknown>(
      (v, k) =>
        typeof v === "object" && v !== null
          ? (v as Record<string | number, unknown>)[k]
          : undefined,
      input,
    );
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const hint = didYouMean(key, allowedKeys(path));
        err(path, `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}`, key);
      }
    } else if (issue.code === "invalid_key" && typeof path.at(-1) === "string") {
      // A map's key (an env name): said by the key's own check, at the key.
      const inner = issue.issues[0]?.message ?? issue.message;
      err(path.slice(0, -1), inner, path.at(-1) as string);
    } else if (valueAt(path) === undefined) {
      err(path, `required: ${issue.message.replace(/^Invalid input: /, "")}`);
    } else {
      err(path, issue.message.replace(/^Invalid input: /, ""));
    }
  }
}

/**
 * Parses `text` (the file `file`) and checks it against `schema`: its value,
 * or every problem as a ManifestError (`formatManifestError` prints them).
 * An empty file is `empty`'s problem.
 */
export function checkYaml<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  empty: string,
): { value: z.output<S>; errors: [] } | { value: null; errors: ManifestError[] } {
  const yaml = readYaml(text.startsWith("\uFEFF") ? text.slice(1) : text, empty);
  if ("problems" in yaml)
    return { value: null, errors: yaml.problems.map((p) => ({ file, ...p, path: "" })) };
  const result = schema.safeParse(yaml.input);
  if (result.success) return { value: result.data, errors: [] };
  const errors: ManifestError[] = [];
  reportIssues(
    result.error.issues,
    yaml.input,
    (path) => keysAt(schema, path),
    (path, message, key) =>
      errors.push({
        file,
        ...locate(yaml.doc, yaml.lc, path, key),
        path: formatPath(key !== undefined ? [...path, key] : path),
        message,
      }),
  );
  errors.sort((x, y) => x.line - y.line || x.column - y.column);
  return { value: null, errors };
}
