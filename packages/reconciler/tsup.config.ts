import { defineConfig } from "tsup";

export default defineConfig({
  // reconciler.ts: the Reconciler alone (`@archy/reconciler/reconciler`), for a program
  // that starts often: it loads the YAML library and the schema only to parse a file
  // that is not in the manifest cache, where the index's parseManifest loads them at once.
  entry: ["src/index.ts", "src/reconciler.ts"],
  format: ["esm"],
  dts: true,
  target: "node20",
  clean: true,
});
