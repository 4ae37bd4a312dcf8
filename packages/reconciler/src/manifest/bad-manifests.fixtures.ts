// The bad-manifest corpus (issue 10): the file as a whole, its YAML, problems
// across files and the folder's entries, then every field's cases
// (corpus-fields.fixtures.ts); the base and the folder writer are
// corpus-base.fixtures.ts.
import { a, ID_EXPECTED, one, SECRET, web, type BadManifestCase } from "./corpus-base.fixtures.js";
import { FIELD_CASES } from "./corpus-fields.fixtures.js";

export { GOOD_IDS, SECRET, web, writeCase, type BadManifestCase } from "./corpus-base.fixtures.js";

const bomb = () => {
  let y = 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n';
  for (let i = 1; i < 10; i++)
    y += `a${i}: &a${i} [${Array(10)
      .fill(`*a${i - 1}`)
      .join(", ")}]\n`;
  return `${y}${web({ container: "    command: *a9\n" })}`;
};
const garbage = () => {
  const bytes = new Uint8Array(4096);
  let x = 2463534242;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  bytes[3] = 0;
  return bytes;
};
const manyEnv = (n: number, name: (i: number) => string) =>
  web({ container: Array.from({ length: n }, (_, i) => `      ${name(i)}: v\n`).join("") });

export const BAD_MANIFESTS: BadManifestCase[] = [
  // ---- the file as a whole -------------------------------------------------
  one("an empty file", "", 'web.yaml:1:1: the file is empty: expected a map with an "app:" key'),
  one(
    "a whitespace-only file",
    "  \n\n   \n",
    'web.yaml:1:1: the file is empty: expected a map with an "app:" key',
  ),
  one(
    "a comment-only file",
    "# nothing here\n",
    'web.yaml:1:1: the file is empty: expected a map with an "app:" key',
  ),
  {
    name: "a UTF-8 byte-order mark before a valid manifest",
    files: { "web.yaml": `\uFEFF${web()}` },
    errors: [],
    valid: ["web"],
  },
  one(
    "a byte-order mark before a bad id: columns as an editor shows them",
    `\uFEFF${web({ id: "Web" })}`,
    ID_EXPECTED,
  ),
  one(
    "binary garbage",
    garbage(),
    "web.yaml:1:4: expected YAML text, found a NUL byte (a binary file?)",
  ),
  one(
    "Latin-1 text",
    Buffer.from(`${web()}    # caf\xe9\n`, "latin1"),
    "web.yaml:9:10: expected UTF-8 text, found a byte that is not (a binary file or another encoding?)",
  ),
  one(
    "a 10 MB manifest",
    web({ container: `    command: ["${"x".repeat(10_000_000)}"]\n` }),
    "web.yaml:1:1: the file is 10000151 bytes, more than the limit of 1048576 bytes (1 MiB) for one manifest",
  ),
  one(
    "one byte over 1 MiB",
    web({ container: `    command: ["${"x".repeat(1024 * 1024 - 150)}"]\n` }),
    "web.yaml:1:1: the file is 1048577 bytes, more than the limit of 1048576 bytes (1 MiB) for one manifest",
  ),
  one("a YAML list", "- a\n- b\n", 'web.yaml:1:1: expected a map with an "app:" key'),
  one("a YAML scalar", "hello\n", 'web.yaml:1:1: expected a map with an "app:" key'),
  one(
    "app: with nothing under it",
    "app:\n",
    "web.yaml:1:5: app: expected a map with id, name, version and container",
  ),
  one(
    "app: a string",
    "app: web\n",
    "web.yaml:1:6: app: expected a map with id, name, version and container",
  ),
  // ---- YAML syntax ---------------------------------------------------------
  one(
    "an unclosed flow list",
    web({ container: "    command: [sh, -c\n" }),
    "web.yaml:10:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
  ),
  one(
    "an unclosed quote",
    web({ container: '    command: ["sh]\n' }),
    'web.yaml:10:1: invalid YAML: Missing closing "quote',
  ),
  one(
    "a tab as indentation",
    web().replace("  id: web", "\tid: web"),
    "web.yaml:2:1: invalid YAML: Tabs are not allowed as indentation",
  ),
  one(
    "keys at different columns",
    web().replace("  version: 1.0.0", " version: 1.0.0"),
    "web.yaml:4:1: invalid YAML: All mapping items must start at the same column",
  ),
  one(
    "a duplicate key",
    web({ app: "  name: Again\n" }),
    'web.yaml:9:3: invalid YAML: duplicate key "name" (first at line 3)',
  ),
  one(
    "a duplicate env name",
    web({ container: `      DB_PASSWORD: ${SECRET}-2\n` }),
    'web.yaml:9:7: invalid YAML: duplicate key "DB_PASSWORD" (first at line 8)',
  ),
  one(
    "two documents",
    `${web()}---\n${web()}`,
    "web.yaml:9:1: invalid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()",
  ),
  one(
    "an alias to no anchor",
    web({ container: "    command: *nothing\n" }),
    "web.yaml:9:14: invalid YAML: the alias *nothing names no anchor set before it",
  ),
  one(
    "an alias bomb (billion laughs)",
    bomb(),
    'web.yaml:1:1: YAML aliases expand too much (more than 100 uses): refused as a resource exhaustion ("billion laughs")',
  ),
  one(
    "lists nested 10,000 deep",
    `${"[".repeat(10_000)}${"]".repeat(10_000)}\n`,
    /^web\.yaml:1:\d+: invalid YAML: Maximum call stack size exceeded$/,
  ),
  one("a merge key", web({ app: "  <<: { x: 1 }\n" }), 'web.yaml:9:3: app.<<: unknown key "<<"'),
  // ---- across files -------------------------------------------------------------
  a(
    "a dependency on itself",
    "  depends_on: [web]\n",
    "web.yaml:9:16: app.depends_on[0]: an app cannot depend on itself",
  ),
  a(
    "a dependency that exists nowhere",
    "  depends_on: [dbb]\n",
    'web.yaml:9:16: app.depends_on[0]: unknown app "dbb" (did you mean "db"?)',
  ),
  {
    name: "a dependency cycle of two",
    files: {
      "web.yaml": web({ app: "  depends_on: [cache]\n" }),
      "cache.yaml": web({ id: "cache", app: "  depends_on: [web]\n" }),
    },
    errors: [
      "cache.yaml:9:16: app.depends_on[0]: dependency cycle: cache -> web -> cache",
      "web.yaml:9:16: app.depends_on[0]: dependency cycle: cache -> web -> cache",
    ],
  },
  {
    name: "a dependency cycle of three",
    files: {
      "web.yaml": web({ app: "  depends_on: [cache]\n" }),
      "cache.yaml": web({ id: "cache", app: "  depends_on: [queue]\n" }),
      "queue.yaml": web({ id: "queue", app: "  depends_on: [web]\n" }),
    },
    errors: [
      "cache.yaml:9:16: app.depends_on[0]: dependency cycle: cache -> queue -> web -> cache",
      "queue.yaml:9:16: app.depends_on[0]: dependency cycle: cache -> queue -> web -> cache",
      "web.yaml:9:16: app.depends_on[0]: dependency cycle: cache -> queue -> web -> cache",
    ],
  },
  {
    name: "a duplicate id across files",
    files: { "web.yaml": web(), "web2.yml": web() },
    errors: ['web2.yml:2:7: app.id: duplicate app id "web" (already declared in web.yaml)'],
    valid: ["web"],
  },
  {
    name: "an app depending on a file that is not YAML waits for it (its id is the file's name)",
    files: {
      "web.yaml": web({ app: "  depends_on: [cache]\n" }),
      "cache.yaml": "app: [unclosed\n",
    },
    errors: [
      "cache.yaml:2:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
    valid: ["web"],
  },
  // ---- the folder's entries ----------------------------------------------------------
  {
    name: "a symbolic link to a manifest outside the folder",
    files: { "web.yaml": { symlinkOutside: web() } },
    errors: [
      "web.yaml:1:1: a symbolic link to <outside>/web.yaml, outside the manifests folder: archy reads only manifests inside it (copy the file in)",
    ],
  },
  {
    name: "a symbolic link to nothing",
    files: { "web.yaml": { symlinkTo: "/nonexistent/web.yaml" } },
    errors: ["web.yaml:1:1: a symbolic link to nothing (its target does not exist)"],
  },
  {
    name: "a symbolic link to itself",
    files: { "web.yaml": { symlinkTo: "web.yaml" } },
    errors: ["web.yaml:1:1: a symbolic link to nothing (its target does not exist)"],
  },
  {
    name: "a symbolic link inside the folder is read",
    files: { "web.yaml.orig": web(), "web.yaml": { symlinkTo: "web.yaml.orig" } },
    errors: [],
    valid: ["web"],
  },
  {
    name: "a folder named like a manifest",
    files: { "web.yaml": { folder: true } },
    errors: ["web.yaml:1:1: not a regular file (a folder, pipe or device named like a manifest)"],
  },
  {
    name: "a named pipe named like a manifest (never opened: it would block)",
    files: { "web.yaml": { fifo: true } },
    errors: ["web.yaml:1:1: not a regular file (a folder, pipe or device named like a manifest)"],
  },
  // ---- many problems in one file: bounded -----------------------------------------
  one(
    "20,000 bad env names: 50 shown, the rest counted",
    manyEnv(20_000, (i) => `b-${i}`),
    ...Array.from(
      { length: 50 },
      (_, i) =>
        `web.yaml:${9 + i}:7: app.container.env.b-${i}: expected an environment variable name`,
    ),
    "web.yaml:58:7: and 19950 more problems in this file",
  ),
  a(
    "20,000 unknown dependencies: 50 shown",
    `  depends_on: [${Array.from({ length: 20_000 }, (_, i) => `x${i}`).join(", ")}]\n`,
    ...Array.from(
      { length: 50 },
      (_, i) =>
        `web.yaml:9:${16 + i * 4 + (i > 10 ? i - 10 : 0)}: app.depends_on[${i}]: unknown app "x${i}"`,
    ),
  ),
  ...FIELD_CASES,
];
