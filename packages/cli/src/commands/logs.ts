import { APP_ID, loadManifests } from "@archy/reconciler";
import type { Context } from "../context.js";
import { CliError, EXIT } from "../cli-error.js";
import { createLogSource } from "../log-source.js";

/** The container's log: the last N lines, or followed; secret env values shown as `***`. */
export async function run(
  ctx: Context,
  id: string,
  opts: { lines?: number; follow?: boolean },
): Promise<number> {
  if (!APP_ID.test(id)) throw new CliError(`invalid app id: ${id}`, EXIT.usage);
  // The app's env says which values to hide; an app without a valid manifest hides none.
  const { apps } = await loadManifests(ctx.manifestsDir);
  const logs = createLogSource(ctx.runtime(), () => apps);
  const ac = new AbortController();
  for await (const { line } of logs(id, {
    ...(opts.lines !== undefined ? { tail: opts.lines } : {}),
    follow: opts.follow === true,
    signal: ac.signal,
  }))
    ctx.out.line(line);
  return EXIT.ok;
}
