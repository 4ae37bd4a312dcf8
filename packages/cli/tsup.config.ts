import { defineConfig } from "tsup";

export default defineConfig({
  // cli.ts loads each command with `await import()`, so tsup splits them into chunks.
  entry: ["src/cli.ts", "src/index.ts"],
  format: ["esm"],
  dts: { entry: "src/index.ts" },
  target: "node20",
  clean: true,
  splitting: true,
});
