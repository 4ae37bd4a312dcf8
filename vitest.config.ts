import { defineConfig } from "vitest/config";

// Two projects: fast unit tests beside the source (`src/**/*.test.ts`) and
// real-podman / end-to-end tests (`*.int.test.ts`) with longer timeouts,
// run one file at a time so parallel podman stores do not starve 2 cores.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["packages/*/{src,test}/**/*.int.test.ts"],
          exclude: ["**/node_modules/**"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
