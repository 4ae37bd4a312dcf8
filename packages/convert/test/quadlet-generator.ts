// podman's own Quadlet generator and systemd's own unit checker, for the
// `*.p5.test.ts` tests that run inside the Debian 13 root (podman 5.4.2,
// systemd 257; scripts/hosts/in-root.sh). Nothing here is a copy of what
// they do: the tests hand archy's units to the real programs.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { QuadletFile } from "../src/quadlet/export.js";

const run = promisify(execFile);

export const QUADLET = "/usr/libexec/podman/quadlet";

/**
 * Why the generator tests cannot run here, or null. They belong to the
 * podman5 project, which runs inside the Debian 13 root only: there a
 * missing generator is an error, never a skip.
 */
export function generatorMissing(): string | null {
  for (const tool of [QUADLET, "/usr/bin/systemd-analyze", "/usr/bin/podman"])
    if (!existsSync(tool)) return `${tool} is missing (run inside scripts/hosts/in-root.sh)`;
  return null;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

async function command(
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandResult> {
  try {
    const r = await run(file, args, {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { exitCode: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw error;
    return { exitCode: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** A temporary folder, removed by `remove`. */
export async function scratch(
  prefix: string,
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Writes an export's files as `archy export quadlet` does (env files 0600). */
export async function writeUnits(dir: string, files: readonly QuadletFile[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const f of files) {
    await writeFile(join(dir, f.name), f.text);
    if (f.mode !== undefined) await chmod(join(dir, f.name), f.mode);
  }
}

export interface Generated extends CommandResult {
  /** Each generated unit by name (`archy-web.service`), as `-dryrun` prints it. */
  units: Map<string, string>;
}

/**
 * `quadlet -dryrun` on the units of `dir` (QUADLET_UNIT_DIRS), as the
 * system's generator or, with `user`, a user's. Its log goes to stderr.
 */
export async function generate(dir: string, opts: { user?: boolean } = {}): Promise<Generated> {
  const args = ["-dryrun", "-no-kmsg-log", ...(opts.user ? ["-user"] : [])];
  const r = await command(QUADLET, args, { QUADLET_UNIT_DIRS: dir });
  const units = new Map<string, string>();
  const parts = r.stdout.split(/^---([^\n]+)---\n/m);
  for (let i = 1; i + 1 < parts.length; i += 2) units.set(parts[i]!, parts[i + 1]!);
  return { ...r, units };
}

/**
 * `systemd-analyze verify` of generated units, written together into a
 * folder (so they find each other) with `extra` files beside them.
 * `--user` checks them as a user's units.
 */
export async function verify(
  units: ReadonlyMap<string, string>,
  opts: { user?: boolean; extra?: Record<string, string> } = {},
): Promise<CommandResult & { dir: string }> {
  const dir = await scratch("archy-verify-");
  const runtime = join(dir.path, "runtime");
  await mkdir(runtime, { mode: 0o700 });
  const units_ = join(dir.path, "units");
  await mkdir(units_);
  for (const [name, text] of [...units, ...Object.entries(opts.extra ?? {})])
    await writeFile(join(units_, name), text);
  const paths = [...units.keys()].map((n) => join(units_, n));
  const r = await command(
    "/usr/bin/systemd-analyze",
    [...(opts.user ? ["--user"] : []), "verify", "--man=no", ...paths],
    // A user manager needs a runtime folder, even offline.
    opts.user ? { XDG_RUNTIME_DIR: runtime } : {},
  );
  await dir.remove();
  return { ...r, dir: units_ };
}

/** The `[Service]` values of `key` in a unit's text, in order. */
export function serviceValues(text: string, key: string): string[] {
  const out: string[] = [];
  let section = "";
  for (const line of text.split("\n")) {
    const group = /^\[(.+)\]\s*$/.exec(line);
    if (group) section = group[1]!;
    else if (section === "Service" && line.startsWith(`${key}=`))
      out.push(line.slice(key.length + 1));
  }
  return out;
}
