import { defineConfig } from "vitest/config";

// Four projects:
// - unit: fast tests beside the source (`src/**/*.test.ts`);
// - integration: real-podman and end-to-end tests (`*.int.test.ts`), one file at
//   a time so parallel podman stores do not starve 2 cores. scripts/test.sh runs
//   them twice: on this host's podman 4.3 and inside the Debian 13 root's podman 5
//   (scripts/hosts/in-root.sh);
// - podman5: what only podman 5 hosts have (Quadlet's generator, systemd-analyze),
//   `*.p5.test.ts`, run inside the Debian 13 root only;
// - box: a booted systemd box (systemd-nspawn of the Debian 13 root),
//   `*.box.test.ts`, run on this host.
const serial = { fileParallelism: false, testTimeout: 120_000, hookTimeout: 180_000 };
// Inside the Debian 13 root (scripts/hosts/in-root.sh sets ARCHY_HOST) there is no Chromium
// and no npm registry: the browser test and the downstream install run on this host only.
const hostOnly =
  process.env.ARCHY_HOST === "trixie-root"
    ? [
        "packages/cli/test/dashboard.int.test.ts",
        "packages/test-utils/test/consumer-smoke.int.test.ts",
      ]
    : [];
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts"],
          exclude: [
            "**/*.int.test.ts",
            "**/*.p5.test.ts",
            "**/*.box.test.ts",
            "**/node_modules/**",
          ],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["packages/*/{src,test}/**/*.int.test.ts"],
          exclude: ["**/node_modules/**", ...hostOnly],
          ...serial,
        },
      },
      {
        test: {
          name: "podman5",
          include: ["packages/*/{src,test}/**/*.p5.test.ts"],
          exclude: ["**/node_modules/**"],
          ...serial,
        },
      },
      {
        test: {
          name: "box",
          include: ["packages/*/{src,test}/**/*.box.test.ts"],
          exclude: ["**/node_modules/**"],
          ...serial,
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
