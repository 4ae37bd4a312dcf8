import { defineConfig } from "tsup";

export default defineConfig({
  // reconciler.ts: the Reconciler alone (`@archy/reconciler/reconciler`), for a program
  // that starts often: it loads the YAML library and the schema only to parse a file
  // that is not in the manifest cache, where the index's parseManifest loads them at once.
  // api/index.ts: the API's JSON types and their few helpers (`@archy/reconciler/api`), for
  // the CLI's client and the status page: it imports nothing.
  entry: {
    index: "src/index.ts",
    reconciler: "src/reconciler.ts",
    "api/index": "src/api/index.ts",
  },
  format: ["esm"],
  dts: true,
  target: "node20",
  clean: true,
});
