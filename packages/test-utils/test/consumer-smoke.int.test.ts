// Installs each publishable package from its packed tarball into a throwaway
// project, the way a downstream project would, and runs every README's
// example exactly as written.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { tempDir } from "../src/index.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const packagesDir = join(root, "packages");
const publishable = readdirSync(packagesDir).filter((name) => {
  const pkg = JSON.parse(readFileSync(join(packagesDir, name, "package.json"), "utf8")) as {
    private?: boolean;
  };
  return pkg.private !== true;
});

/** The first ```js block after the "## Example" heading of a README. */
function readmeExample(readme: string): string | null {
  const section = readme.split(/^## Example\s*$/m)[1];
  const match = section ? /```js\n([\s\S]*?)```/.exec(section) : null;
  return match?.[1] ?? null;
}

describe("packages as a downstream project installs them", () => {
  let consumer: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    consumer = await tempDir("archy-consumer-");
    const tarballs: string[] = [];
    for (const name of publishable) {
      const out = execFileSync(
        "bash",
        [join(root, "scripts/pnpm.sh"), "pack", "--pack-destination", consumer.path],
        { cwd: join(packagesDir, name), encoding: "utf8" },
      );
      tarballs.push(out.trim().split("\n").pop()!.trim());
    }
    writeFileSync(
      join(consumer.path, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await execa("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs], {
      cwd: consumer.path,
    });
  }, 180_000);
  afterAll(async () => {
    await consumer?.remove();
  });

  it.each(publishable)(
    "%s: imports, ships types, and its README example runs as written",
    async (name) => {
      const pkg = JSON.parse(readFileSync(join(packagesDir, name, "package.json"), "utf8")) as {
        name: string;
      };
      const installed = join(consumer.path, "node_modules", ...pkg.name.split("/"));
      const files = readdirSync(join(installed, "dist"));
      expect(files).toContain("index.js");
      expect(files).toContain("index.d.ts");
      const mod = (await import(join(installed, "dist/index.js"))) as Record<string, unknown>;
      expect(Object.keys(mod).length).toBeGreaterThan(0);

      const example = readmeExample(readFileSync(join(packagesDir, name, "README.md"), "utf8"));
      expect(example, `${name}/README.md has a js block under "## Example"`).not.toBeNull();
      const file = join(consumer.path, `example-${name}.mjs`);
      writeFileSync(file, example!);
      const run = await execa(process.execPath, [file], {
        cwd: consumer.path,
        reject: false,
        timeout: 60_000,
      });
      expect(run.exitCode, `${name} example failed:\n${run.stderr}`).toBe(0);
      expect(run.stdout.length).toBeGreaterThan(0);
    },
  );
});
