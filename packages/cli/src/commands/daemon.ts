import { parseDuration } from "@archy/reconciler";
import type { Context } from "../context.js";
import { CliError, EXIT } from "../cli-error.js";
import { runDaemon } from "../daemon/run.js";

export async function run(ctx: Context, opts: { interval: string }): Promise<number> {
  const intervalMs = parseDuration(opts.interval);
  if (intervalMs === null || intervalMs < 1_000)
    throw new CliError(
      `invalid --interval ${opts.interval}: expected a duration of at least 1s, such as 30s or 5m`,
      EXIT.usage,
    );
  return runDaemon(ctx, { intervalMs });
}
