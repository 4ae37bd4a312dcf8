import { parseDuration } from "@archy/reconciler";
import type { Context } from "../context.js";
import { CliError, EXIT } from "../cli-error.js";
import { parseHttpAddress } from "../daemon/http-address.js";
import { runDaemon } from "../daemon/run.js";

export async function run(
  ctx: Context,
  opts: { interval: string; http?: string; updateCheckInterval?: string },
): Promise<number> {
  const intervalMs = period("--interval", opts.interval);
  const updateCheckMs =
    opts.updateCheckInterval !== undefined
      ? period("--update-check-interval", opts.updateCheckInterval)
      : null;
  // A bad address is bad usage before the state folder is touched.
  const http = opts.http !== undefined ? parseHttpAddress(opts.http) : null;
  return runDaemon(ctx, { intervalMs, http, updateCheckMs });
}

/** A period option: 1s to 24h (a timer of more than 2^31-1 ms, 24.8 days, fires at once: a busy loop). */
function period(option: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms < 1_000 || ms > 24 * 3_600_000)
    throw new CliError(
      `invalid ${option} ${text}: expected a duration from 1s to 24h, such as 30s or 5m`,
      EXIT.usage,
    );
  return ms;
}
