import { spawn } from "node:child_process";
import type { Context } from "../context.js";
import { CliError, EXIT } from "../cli-error.js";
import { DaemonClient } from "../client.js";
import { ensureToken, rotateToken, tokenPath } from "../daemon/token.js";
import { ensureStateDir } from "../state-lock.js";

/** What the command needs of the machine (tests pass their own: no browser is ever opened). */
export interface DashboardSystem {
  env: NodeJS.ProcessEnv;
  stdoutIsTTY: boolean;
  /** Opens `url` in a browser; rejects when it cannot. */
  openBrowser(url: string): Promise<void>;
}

/** `xdg-open URL`, left running on its own. */
function xdgOpen(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("xdg-open", [url], { detached: true, stdio: "ignore" });
    child.once("error", reject);
    child.once("spawn", () => {
      child.unref();
      resolve();
    });
  });
}

const system = (): DashboardSystem => ({
  env: process.env,
  stdoutIsTTY: process.stdout.isTTY === true,
  openBrowser: xdgOpen,
});

/**
 * `archy dashboard [--rotate-token] [--no-open]`: the status page's address
 * with its token, from the daemon (`GET /v1/daemon` → `http.url`). Opens a
 * browser when stdout is a terminal and a display is set. No daemon, or one
 * without `--http`: exit 1, saying how to start one; `--rotate-token` still
 * rotates the token then (exit 0).
 */
export async function run(
  ctx: Context,
  opts: { rotateToken?: boolean; open?: boolean },
  sys: DashboardSystem = system(),
): Promise<number> {
  const rotated = opts.rotateToken === true;
  const answer = await DaemonClient.get<{ http?: { url?: unknown } | null }>(
    ctx.socketPath,
    "/v1/daemon",
  );
  const base = typeof answer?.body.http?.url === "string" ? answer.body.http.url : null;
  const how = `start one with --http, for example: archy daemon --http 127.0.0.1:7777`;
  const why = answer
    ? "the daemon does not serve the status page (it was started without --http)"
    : "no archy daemon is running";
  if (base === null && !rotated) throw new CliError(`${why}: ${how}`, EXIT.failed);

  await ensureStateDir(ctx.stateDir);
  const token = rotated ? await rotateToken(ctx.stateDir) : await ensureToken(ctx.stateDir);
  const url = base === null ? null : `${base}?token=${token}`;
  const tokenFile = tokenPath(ctx.stateDir);

  if (ctx.json) ctx.out.document({ url, tokenFile, rotated });
  else if (url) ctx.out.line(url);
  if (rotated)
    ctx.out.info(
      `a new token is in ${tokenFile}: earlier links and signed-in pages no longer work`,
    );
  if (url === null) {
    ctx.out.info(`${why}: ${how}`);
    return EXIT.ok;
  }
  const display = Boolean(sys.env.DISPLAY || sys.env.WAYLAND_DISPLAY);
  if (opts.open !== false && !ctx.json && sys.stdoutIsTTY && display) {
    try {
      await sys.openBrowser(url);
    } catch (error) {
      ctx.out.info(
        `could not open a browser (${(error as Error).message}): open the address above`,
      );
    }
  }
  return EXIT.ok;
}
