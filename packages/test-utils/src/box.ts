import { cp } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { EXAMPLES_DIR } from "./examples.js";
import { waitFor } from "./temp.js";

const SCRIPTS = fileURLToPath(new URL("../../../scripts/hosts", import.meta.url));
const BOX_SH = join(SCRIPTS, "box.sh");

export interface BoxResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface Box {
  name: string;
  /** The box's root folder as this host sees it (write files into it before booting). */
  root: string;
  /** Boots it and waits until its systemd is up. */
  boot(): Promise<void>;
  /** Runs a command inside as root (or as `user`, through runuser with a login environment). */
  exec(
    argv: string[],
    opts?: { user?: string; reject?: boolean; timeoutMs?: number; env?: Record<string, string> },
  ): Promise<BoxResult>;
  /** `systemctl reboot` inside, then waits for the next boot's systemd; resolves with the new PID 1. */
  reboot(): Promise<number>;
  /** The box's PID 1 as this host sees it; null while it is down. */
  pid1(): Promise<number | null>;
  /** Power off (clean) and remove the copy and its cgroups. */
  destroy(): Promise<void>;
}

const box = (args: string[], reject = true) =>
  execa("bash", [BOX_SH, ...args], { reject, timeout: 300_000 });

/**
 * A booted systemd box (scripts/hosts/box.sh): a copy of the Debian 13 root
 * with systemd as PID 1, podman 5 and no network but its loopback.
 */
export async function createBox(name: string): Promise<Box> {
  const root = (await box(["create", name])).stdout.trim().split("\n").pop()!;
  const pid1 = async () => {
    const out = (await box(["pid1", name], false)).stdout.trim();
    return out === "" ? null : Number(out);
  };
  const up = async () => {
    await box(["wait", name, "120"]);
  };
  return {
    name,
    root,
    pid1,
    async boot() {
      await box(["boot", name]);
      await up();
    },
    async exec(argv, opts = {}) {
      const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
      const command = opts.user
        ? ["runuser", "-l", opts.user, "-c", shellQuote(["env", ...env, ...argv])]
        : ["env", ...env, ...argv];
      // The box's own `timeout` ends the command: nsenter forks into the box's PID namespace,
      // so a signal to it from here would leave the command running, holding our pipes.
      const ms = opts.timeoutMs ?? 120_000;
      const inner = ["timeout", "-k", "5", `${Math.ceil(ms / 1000)}`, ...command];
      // ARCHY_BOX_TRACE=1: each command as it starts and ends, to find what a slow test waits on.
      const trace = process.env.ARCHY_BOX_TRACE
        ? (line: string) => process.stderr.write(`box ${name}: ${line}\n`)
        : null;
      const t0 = Date.now();
      trace?.(`$ ${shellQuote(command)}`);
      const r = await execa("bash", [BOX_SH, "exec", name, ...inner], {
        reject: opts.reject ?? true,
        timeout: ms + 15_000,
      });
      trace?.(`  exit ${r.exitCode ?? "?"} after ${Date.now() - t0} ms`);
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
    },
    async reboot() {
      const before = await pid1();
      await box(["exec", name, "systemctl", "reboot"], false);
      await waitFor(async () => ((await pid1()) ?? before) !== before, {
        timeoutMs: 60_000,
        intervalMs: 100,
        what: `box ${name} to boot again`,
      });
      await up();
      return (await pid1())!;
    },
    async destroy() {
      await box(["destroy", name], false);
    },
  };
}

/** One word list as a POSIX shell command line. */
export const shellQuote = (words: string[]) =>
  words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`)).join(" ");

/**
 * Packs every publishable package (`pnpm pack`: workspace versions resolved)
 * into `dest`; returns the tarballs' paths.
 */
export async function packTarballs(dest: string): Promise<string[]> {
  const root = fileURLToPath(new URL("../../..", import.meta.url));
  const { readdirSync, readFileSync } = await import("node:fs");
  const tarballs: string[] = [];
  for (const name of readdirSync(join(root, "packages"))) {
    const pkg = JSON.parse(readFileSync(join(root, "packages", name, "package.json"), "utf8")) as {
      private?: boolean;
    };
    if (pkg.private === true) continue;
    const out = await execa(
      "bash",
      [join(root, "scripts/pnpm.sh"), "pack", "--pack-destination", dest],
      { cwd: join(root, "packages", name) },
    );
    tarballs.push(out.stdout.trim().split("\n").pop()!.trim());
  }
  return tarballs;
}

/** `examples/` copied into the box at `dest` (without what the hooks generate). */
export async function copyExamplesInto(box: Box, dest: string): Promise<void> {
  await cp(EXAMPLES_DIR, join(box.root, dest), {
    recursive: true,
    filter: (src) => !/\/(web\/rootfs|greeter\/conf)(\/|$)/.test(src),
  });
}
