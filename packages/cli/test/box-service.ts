// What the service box tests share: archy installed into a box from the packed
// npm tarballs, and commands on it as root or as a user (a login, so
// `systemctl --user` has its runtime folder and bus).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { execa } from "execa";
import { packTarballs, tempDir, type Box, type BoxResult } from "@archy/test-utils";
import { root } from "./harness.js";

/** The example apps and the host port each publishes (examples/apps). */
export const PORTS = { web: 18080, clock: 18081, greeter: 18082 } as const;
export type App = keyof typeof PORTS;
export const APPS = Object.keys(PORTS) as App[];

export interface PsApp {
  id: string;
  desired: string;
  phase: string;
  restarts: number;
}

/** `npm install -g` of every packed package into the box's /usr/local (the box has no network). */
export async function installArchy(box: Box): Promise<void> {
  const tmp = await tempDir("archy-box-");
  try {
    const tarballs = await packTarballs(tmp.path);
    await execa("npm", [
      "install",
      "-g",
      "--prefix",
      join(box.root, "usr/local"),
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      ...tarballs,
    ]);
  } finally {
    await tmp.remove();
  }
}

/**
 * Commands on a box as root (`user` absent) or as a user, with `env` for
 * archy: archy itself, systemctl (`--user` for a user) and `show`, `archy
 * ps`, podman's archy containers, and whether the example apps answer.
 */
export function serviceCommands(
  box: () => Box,
  as: { user?: string; env?: Record<string, string> } = {},
) {
  const run = (argv: string[], timeoutMs?: number): Promise<BoxResult> =>
    box().exec(argv, {
      reject: false,
      ...(as.user ? { user: as.user } : {}),
      ...(as.env ? { env: as.env } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  const systemctl = async (args: string[]) => {
    const argv = ["systemctl", ...(as.user ? ["--user"] : []), ...args];
    const r = await run(argv, 180_000);
    expect(r.exitCode, `${argv.join(" ")}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const serves = async (app: App) =>
    (
      await box().exec(["busybox", "wget", "-T", "2", "-qO-", `http://127.0.0.1:${PORTS[app]}/`], {
        reject: false,
      })
    ).exitCode === 0;
  return {
    run,
    archy: (args: string[]) => run(["archy", ...args]),
    systemctl,
    show: async (unit: string, props: string[]) =>
      Object.fromEntries(
        (await systemctl(["show", unit, ...props.map((p) => `-p${p}`)]))
          .split("\n")
          .map((l) => l.split(/=(.*)/s, 2)),
      ) as Record<string, string>,
    ps: async (): Promise<PsApp[]> => {
      const r = await run(["archy", "ps", "--json"]);
      return r.exitCode === 0 ? (JSON.parse(r.stdout) as { apps: PsApp[] }).apps : [];
    },
    /** name, id and start time of each archy container: a restart or a recreate changes them. */
    containers: async () =>
      (await run(["podman", "ps", "-a", "--format", "{{.Names}} {{.ID}} {{.StartedAt}}"])).stdout
        .split("\n")
        .filter((l) => l.startsWith("archy-"))
        .sort(),
    serves,
    allServe: async (apps: App[] = APPS) => (await Promise.all(apps.map(serves))).every(Boolean),
  };
}

/** The figures a box test measured, for the closing note: test/artifacts/NAME.json. */
export async function writeFigures(name: string, figures: Record<string, unknown>): Promise<void> {
  const dir = join(root, "packages/cli/test/artifacts");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
}

/** systemd's "30s", "1min 30s" or "500ms" as milliseconds. */
export function parseUsec(text: string): number {
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/([\d.]+)\s*(ms|min|s|h)/g))
    ms += Number(n) * { ms: 1, s: 1000, min: 60_000, h: 3_600_000 }[unit as "ms"];
  return ms;
}
