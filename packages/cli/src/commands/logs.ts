import { APP_ID, containerName } from "@archy/reconciler";
import type { Context } from "../context.js";
import { CliError, EXIT } from "../cli-error.js";

/** The container's log: the last N lines, or followed. */
export async function run(
  ctx: Context,
  id: string,
  opts: { lines?: number; follow?: boolean },
): Promise<number> {
  if (!APP_ID.test(id)) throw new CliError(`invalid app id: ${id}`, EXIT.usage);
  const runtime = ctx.runtime();
  const name = containerName(id);
  try {
    if (opts.follow) {
      for await (const line of runtime.followContainerLogs(
        name,
        opts.lines !== undefined ? { tail: opts.lines } : {},
      ))
        ctx.out.line(line);
    } else {
      for (const line of await runtime.getContainerLogs(
        name,
        opts.lines !== undefined ? { tail: opts.lines } : {},
      ))
        ctx.out.line(line);
    }
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === "ECONTAINERNOTFOUND")
      throw new CliError(`app ${id} has no container (${name})`, EXIT.failed);
    throw error;
  }
  return EXIT.ok;
}
