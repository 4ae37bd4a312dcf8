// A previous release of archy, built from its commit, for the upgrade tests:
// the containers and state folder it leaves are what this checkout must take
// over without recreating anything.
import { existsSync } from "node:fs";
import { mkdir, open, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

/** The root of this checkout. */
const CHECKOUT = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * Where built releases are kept, one folder per commit. Inside the checkout
 * (node_modules is ignored by git, vitest, eslint and prettier) rather than in
 * /tmp or /var/cache: scripts/hosts/in-root.sh binds only the checkout into the
 * Debian 13 root, which has neither network nor the pnpm store, so the podman 5
 * run reuses the build the host's run made before it.
 */
export const RELEASES_DIR = join(CHECKOUT, "node_modules/.cache/archy-releases");

/** Written last: a folder without it is a build that did not finish. */
const DONE = ".archy-release-built";

export interface Release {
  commit: string;
  /** The release's checkout (its `git archive`), built. */
  dir: string;
  /** Its `archy` program, to run with `node`. */
  bin: string;
  /** Whether this call built it (false: a build already in the cache). */
  built: boolean;
  /** Time spent in this call, waiting for another builder's lock included. */
  ms: number;
}

/**
 * Builds the `archy` program of `commit` (a full 40-hex commit id of this
 * repository) once, and reuses it after: `git archive` into
 * `RELEASES_DIR/<commit>`, `pnpm install --offline --frozen-lockfile` (without
 * --offline when the store lacks a package), then only what the program needs:
 * the status page's generated assets and tsup's `dist/bin` configs (no type
 * declarations, no other package's build). A lock file makes parallel callers
 * wait for one build. Any failure throws with the step and its output.
 */
export async function buildRelease(
  commit: string,
  opts: { log?: (line: string) => void; lockTimeoutMs?: number } = {},
): Promise<Release> {
  if (!/^[0-9a-f]{40}$/.test(commit))
    throw new Error(
      `buildRelease: expected a full 40-hex commit id, got ${JSON.stringify(commit)}`,
    );
  const started = Date.now();
  const dir = join(RELEASES_DIR, commit);
  const bin = join(dir, "packages/cli/bin/archy.js");
  const result = (built: boolean): Release => ({
    commit,
    dir,
    bin,
    built,
    ms: Date.now() - started,
  });
  if (existsSync(join(dir, DONE))) return result(false);
  await mkdir(RELEASES_DIR, { recursive: true });
  const release = await lock(`${dir}.lock`, opts.lockTimeoutMs ?? 600_000);
  try {
    // Another caller may have built it while this one waited for the lock.
    if (existsSync(join(dir, DONE))) return result(false);
    await rm(dir, { recursive: true, force: true }); // what a killed build left
    await mkdir(dir);
    const log = opts.log ?? (() => undefined);
    log(`building archy at ${commit} in ${dir}`);
    await step("git archive", "sh", [
      "-c",
      `git -C "$1" archive --format=tar "$2" | tar -x -C "$3"`,
      "sh",
      CHECKOUT,
      commit,
      dir,
    ]);
    const pnpm = [
      "bash",
      "scripts/pnpm.sh",
      "install",
      "--frozen-lockfile",
      "--filter",
      "@archy/cli...",
    ];
    const offline = await run(pnpm[0]!, [...pnpm.slice(1), "--offline"], dir);
    if (offline.exitCode !== 0) {
      log("pnpm install --offline failed; trying with the registry");
      await step("pnpm install", pnpm[0]!, pnpm.slice(1), dir);
    }
    // The dashboard's page is bundled into generated source the program imports.
    await step(
      "the status page's assets",
      process.execPath,
      ["packages/dashboard/scripts/build-page.mjs"],
      dir,
    );
    // The release's own tsup config, restricted to the program's outputs.
    const config = join(dir, "packages/cli/tsup.release-bin.config.ts");
    await writeFile(
      config,
      `import configs from "./tsup.config.ts";\n` +
        `const bin = [configs].flat().filter((c) => String(c.outDir ?? "").startsWith("dist/bin"));\n` +
        `if (bin.length === 0) throw new Error("no dist/bin config in this release's tsup.config.ts");\n` +
        `export default bin;\n`,
    );
    await step(
      "tsup (the program)",
      join(dir, "packages/cli/node_modules/.bin/tsup"),
      ["--config", config],
      join(dir, "packages/cli"),
    );
    const version = await step("archy --version", process.execPath, [bin, "--version"], dir);
    await writeFile(
      join(dir, DONE),
      `${commit}\n${version.stdout.trim()}\n${new Date().toISOString()}\n`,
    );
    log(`built archy ${version.stdout.trim()} at ${commit} in ${Date.now() - started} ms`);
    return result(true);
  } finally {
    await release();
  }
}

function run(file: string, args: string[], cwd = CHECKOUT) {
  return execa(file, args, { cwd, reject: false, all: true, timeout: 600_000, stdin: "ignore" });
}

/** Runs one build step; a failure throws with its command and output. */
async function step(what: string, file: string, args: string[], cwd = CHECKOUT) {
  const r = await run(file, args, cwd);
  if (r.exitCode !== 0)
    throw new Error(
      `building the previous release failed at ${what} (exit ${r.exitCode ?? r.signal}):\n` +
        `${r.command}\n${String(r.all ?? "").slice(-4000)}`,
    );
  return r;
}

/**
 * An exclusive lock file holding the owner's PID; a dead owner's lock is taken
 * over. Waits (polling) up to `timeoutMs` for a live owner.
 */
async function lock(file: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => unlink(file).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number(await readFile(file, "utf8").catch(() => "0"));
    // An owner that has not written its PID yet reads as 0: wait for it like a live one.
    if (owner > 0 && !isAlive(owner)) {
      await unlink(file).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${file} (held by PID ${owner})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
