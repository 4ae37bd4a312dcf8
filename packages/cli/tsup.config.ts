import { createRequire } from "node:module";
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
 * (`archy import compose`). Each comes from the
 * package that depends on it, so the version is the one its code was written
 * against.
 */
const vendored: Record<string, string> = {
  execa: createRequire(here("../runtime-podman/package.json")).resolve("execa"),
  yaml: createRequire(here("../reconciler/package.json")).resolve("yaml"),
  zod: createRequire(here("../reconciler/package.json")).resolve("zod"),
  ora: createRequire(here("./package.json")).resolve("ora"),
  ajv: createRequire(here("../convert/package.json")).resolve("ajv"),
  dotenv: createRequire(here("../convert/package.json")).resolve("dotenv"),
};

const program: EsbuildPlugin = {
  name: "archy-program",
  setup(build) {
    build.onResolve({ filter: /^@archy\// }, ({ path }) => {
      const file = sources[path];
      if (!file) return { errors: [{ text: `no source entry for ${path} in tsup.config.ts` }] };
      return { path: file };
    });
    build.onResolve({ filter: /^(execa|yaml|zod|ora|ajv|dotenv)$/ }, ({ path }) => ({
      path: `./vendor/${path}.cjs`,
      external: true,
    }));
  },
};

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
  {
    // The program (bin/archy.js) as one CommonJS file: Node starts a CommonJS
    // program several milliseconds sooner than an ES module one, and a command
    // then loads no further file of archy's. Each command's module is still
    // imported inside its action: its code is in the file but runs only then.
    // The workspace packages come from their sources, so `archy ps` through the
    // daemon runs no reconciler code, and one without a daemon no YAML, schema
    // or execa code until it needs them. pino and rotating-file-stream (the
    // daemon's log) are required from node_modules.
    entry: { cli: "src/cli.ts" },
    outDir: "dist/bin",
    format: ["cjs"],
    outExtension: () => ({ js: ".cjs" }),
    target: "node20",
    clean: ["!vendor/**"],
    noExternal: [/^(?!pino$|rotating-file-stream$)/],
    esbuildPlugins: [program],
    // An `import()` of a vendored library becomes a `require()` (no ES module loader).
    esbuildOptions(options) {
      options.supported = { ...options.supported, "dynamic-import": false };
    },
    define: { "import.meta.url": "__archyImportMetaUrl" },
    banner: {
      js: 'const __archyImportMetaUrl = require("node:url").pathToFileURL(__filename).href;',
    },
    minifyWhitespace: true,
    minifySyntax: true,
  },
  {
    // The vendored libraries, CommonJS too (see `vendored`).
    entry: vendored,
    outDir: "dist/bin/vendor",
    format: ["cjs"],
    outExtension: () => ({ js: ".cjs" }),
    target: "node20",
    clean: true,
    noExternal: [/.*/],
    minifyWhitespace: true,
    minifySyntax: true,
  },
]);
