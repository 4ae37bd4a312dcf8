// The base of the bad-manifest corpus (issue 10): each case is a few files
// written into a manifests folder beside two good apps (`db`, and `api` which
// depends on it), and every error the folder must report, exactly, as
// `file:line:column: field: message`. Every manifest carries a secret; no
// error may show it. The cases: bad-manifests.fixtures.ts (the file, its YAML,
// across files, the folder's entries) and corpus-fields.fixtures.ts (each
// field); corpus.test.ts runs them, so does bench/chaos-corpus.ts.
import { execFileSync } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The value of every secret in the corpus: it must never appear in an error. */
export const SECRET = "hunter2-s3cret-value";

/** The good apps of every case's folder. */
export const GOOD_FILES: Record<string, string> = {
  "db.yaml": `app:\n  id: db\n  name: DB\n  version: "1"\n  container:\n    image: localhost/db:1\n    env:\n      POSTGRES_PASSWORD: ${SECRET}\n`,
  "api.yaml": `app:\n  id: api\n  name: API\n  version: "1"\n  depends_on: [db]\n  container:\n    image: localhost/api:1\n    env: { API_TOKEN: ${SECRET} }\n`,
};
export const GOOD_IDS = ["db", "api"];

export type CorpusFile =
  | string
  | Uint8Array
  | { symlinkOutside: string }
  | { symlinkTo: string }
  | { folder: true }
  | { fifo: true };

export interface BadManifestCase {
  name: string;
  files: Record<string, CorpusFile>;
  /** Every error the folder reports, in order; `<outside>` is the folder outside the manifests. */
  errors: (string | RegExp)[];
  /** Apps of the case's own files that are valid all the same. */
  valid?: string[];
}

/**
 * `web.yaml`: lines 1-8 are `app:`, id, name, version, `container:`, image,
 * `env:` and a secret; `container` lines follow at line 9 (4 spaces), then
 * `app` lines (2 spaces).
 */
export const web = (opts: { id?: string; container?: string; app?: string } = {}) =>
  `app:\n  id: ${opts.id ?? "web"}\n  name: Web\n  version: 1.0.0\n  container:\n    image: localhost/web:1\n    env:\n      DB_PASSWORD: ${SECRET}\n${opts.container ?? ""}${opts.app ?? ""}`;

export const one = (
  name: string,
  text: string | Uint8Array,
  ...errors: (string | RegExp)[]
): BadManifestCase => ({
  name,
  files: { "web.yaml": text },
  errors,
});
export const c = (name: string, container: string, ...errors: (string | RegExp)[]) =>
  one(name, web({ container }), ...errors);
export const a = (name: string, app: string, ...errors: string[]) =>
  one(name, web({ app }), ...errors);
export const id = (name: string, value: string, ...errors: string[]) =>
  one(name, web({ id: value }), ...errors);
export const ID_EXPECTED =
  "web.yaml:2:7: app.id: expected lower-case letters, digits and '-', 1-63 characters, starting and ending with a letter or digit";

/** Writes a case's files into `dir` (the manifests folder); `outside` is a folder outside it. */
export async function writeCase(dir: string, outside: string, files: Record<string, CorpusFile>) {
  for (const [name, f] of Object.entries({ ...GOOD_FILES, ...files })) {
    const path = join(dir, name);
    if (typeof f === "string" || f instanceof Uint8Array) await writeFile(path, f);
    else if ("symlinkOutside" in f) {
      await writeFile(join(outside, name), f.symlinkOutside);
      await symlink(join(outside, name), path);
    } else if ("symlinkTo" in f) await symlink(f.symlinkTo, path);
    else if ("folder" in f) await mkdir(path);
    else execFileSync("mkfifo", [path]);
  }
}
