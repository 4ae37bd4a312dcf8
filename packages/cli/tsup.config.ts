import { existsSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Options } from "tsup";

type EsbuildPlugin = NonNullable<Options["esbuildPlugins"]>[number];

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The workspace packages' entry points the program is bundled from: their sources. */
const sources: Record<string, string> = {
  "@archy/convert": here("../convert/src/index.ts"),
  "@archy/crash-marker": here("../crash-marker/src/index.ts"),
  "@archy/dashboard": here("../dashboard/src/index.ts"),
  "@archy/durable-fs": here("../durable-fs/src/index.ts"),
  "@archy/errors": here("../errors/src/index.ts"),
  "@archy/reconciler": here("../reconciler/src/index.ts"),
  "@archy/reconciler/reconciler": here("../reconciler/src/reconciler.ts"),
  "@archy/reconciler/api": here("../reconciler/src/api/index.ts"),
  "@archy/runtime-podman": here("../runtime-podman/src/index.ts"),
  "@archy/snapshot": here("../snapshot/src/index.ts"),
  "@archy/systemd": here("../systemd/src/index.ts"),
};

/**
 * The large libraries, each bundled into a file of its own next to the
 * program and required only when used: execa (a podman call), yaml and zod
 * (a manifest not in the cache), ora (progress on a TTY), ajv and dotenv
 * (`archy import compose`), prom-client (a daemon's /metrics). Each comes from the package that depends on it
 * (the folder named here), so the version is the one its code was written
 * against. `bench/cli-bundle.ts` measures what this saves against loading
 * them from node_modules (the CLI README has the figures).
 */
export const vendoredFrom: Record<string, string> = {
  execa: "../runtime-podman",
  yaml: "../reconciler",
  zod: "../reconciler",
  ora: ".",
  ajv: "../convert",
  dotenv: "../convert",
  "prom-client": ".",
};

/**
 * The copy of package `name` that the workspace package in folder `from`
 * (relative to this one) gets from node_modules: its entry file, its folder and
 * its version.
 */
export function installedPackage(from: string, name: string) {
  const entry = createRequire(here(`${from}/package.json`)).resolve(name);
  // The package's own package.json is the nearest one above its entry with its
  // name (execa and ora do not export ./package.json, and dist/ folders may hold one).
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === name && pkg.version) return { entry, dir, version: pkg.version };
  }
  throw new Error(`no package.json of ${name} above ${entry}`);
}

/** The installed copy of a vendored library, from the package that depends on it. */
export function installedLibrary(name: string) {
  const from = vendoredFrom[name];
  if (from === undefined) throw new Error(`${name} is not one of the vendored libraries`);
  return installedPackage(from, name);
}

/**
 * The first line of each vendored file: the library and its version, so that
 * a test can tell a bundle older than the installed library (a bump without a
 * rebuild).
 */
export const vendorStamp = (name: string, version: string) =>
  `/* archy vendors ${name} ${version} */`;

/** The library and version a vendored file's first line names; null without that line. */
export function readVendorStamp(text: string): { name: string; version: string } | null {
  const m = /^\/\* archy vendors (\S+) (\S+) \*\/\n/.exec(text);
  return m ? { name: m[1]!, version: m[2]! } : null;
}

const VENDORED = new RegExp(`^(${Object.keys(vendoredFrom).join("|")})$`);

/**
 * How the program reaches the libraries of `vendoredFrom`: "vendored" (the
 * files of dist/bin/vendor, CommonJS) or "external" (required, or imported
 * when ES-module-only, from node_modules; only bench/cli-bundle.ts builds it).
 */
export type Libraries = "vendored" | "external";

const programPlugin = (libraries: Libraries): EsbuildPlugin => ({
  name: "archy-program",
  setup(build) {
    build.onResolve({ filter: /^@archy\// }, ({ path }) => {
      const file = sources[path];
      if (!file) return { errors: [{ text: `no source entry for ${path} in tsup.config.ts` }] };
      return { path: file };
    });
    build.onResolve({ filter: VENDORED }, ({ path }) => ({
      path: libraries === "vendored" ? `./vendor/${path}.cjs` : path,
      external: true,
    }));
  },
});

/**
 * The program's builds into `outDir` (dist/bin by default): the program
 * itself and, when vendored, its libraries in `outDir`/vendor. The default
 * stays relative to the package: the upgrade tests build an earlier release
 * with only the configs whose outDir starts with "dist/bin"
 * (@archy/test-utils' release.ts).
 */
export function programConfigs(outDir = "dist/bin", libraries: Libraries = "vendored") {
  const program: Options = {
    // The program (bin/archy.js) as one CommonJS file: Node starts a CommonJS
    // program several milliseconds sooner than an ES module one, and a command
    // then loads no further file of archy's. Each command's module is still
    // imported inside its action: its code is in the file but runs only then.
    // The workspace packages come from their sources, so `archy ps` through the
    // daemon runs no reconciler code, and one without a daemon no YAML, schema
    // or execa code until it needs them. pino and rotating-file-stream (the
    // daemon's log) are required from node_modules.
    entry: { cli: here("src/cli.ts") },
    tsconfig: here("tsconfig.json"),
    outDir,
    format: ["cjs"],
    outExtension: () => ({ js: ".cjs" }),
    target: "node20",
    clean: ["!vendor/**"],
    // Named here, not taken from the package.json of the folder tsup runs in:
    // the same program wherever it is built from (bench/cli-bundle.ts).
    external: ["pino", "rotating-file-stream"],
    noExternal: [/^(?!pino$|rotating-file-stream$)/],
    esbuildPlugins: [programPlugin(libraries)],
    // An `import()` of a vendored library becomes a `require()` (no ES module
    // loader); from node_modules, execa and ora are ES modules only: import() stays.
    esbuildOptions(options) {
      if (libraries === "vendored")
        options.supported = { ...options.supported, "dynamic-import": false };
    },
    define: { "import.meta.url": "__archyImportMetaUrl" },
    banner: {
      js: 'const __archyImportMetaUrl = require("node:url").pathToFileURL(__filename).href;',
    },
    minifyWhitespace: true,
    minifySyntax: true,
  };
  if (libraries === "external") return [program];
  const installed = Object.fromEntries(
    Object.keys(vendoredFrom).map((name) => [name, installedLibrary(name)]),
  );
  const vendorDir = join(outDir, "vendor");
  const vendor: Options = {
    // The vendored libraries, CommonJS too (see `vendoredFrom`).
    entry: Object.fromEntries(Object.entries(installed).map(([name, lib]) => [name, lib.entry])),
    tsconfig: here("tsconfig.json"),
    outDir: vendorDir,
    format: ["cjs"],
    outExtension: () => ({ js: ".cjs" }),
    target: "node20",
    clean: true,
    noExternal: [/.*/],
    minifyWhitespace: true,
    minifySyntax: true,
    async onSuccess() {
      for (const [name, lib] of Object.entries(installed)) {
        const file = join(vendorDir, `${name}.cjs`);
        await writeFile(file, `${vendorStamp(name, lib.version)}\n${await readFile(file, "utf8")}`);
      }
    },
  };
  return [program, vendor];
}

export default defineConfig([
  {
    // The library (`import { main } from "@archy/cli"`): dependencies stay external.
    // cli.ts loads each command with `await import()`, so tsup splits them into chunks.
    entry: ["src/index.ts"],
    format: ["esm"],
    dts: true,
    target: "node20",
    // dist/bin is the program's, built by the configs below.
    clean: ["!bin/**"],
    splitting: true,
  },
  ...programConfigs(),
]);
