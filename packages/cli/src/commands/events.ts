import { DaemonClient } from "../client.js";
import type { Context } from "../context.js";
import { CliError, EXIT } from "../cli-error.js";

/** The live stream of state changes, one JSON object per line. */
export async function run(ctx: Context): Promise<number> {
  const daemon = await DaemonClient.connect(ctx.socketPath);
  if (!daemon)
    throw new CliError(
      `archy events needs a running daemon (none answers on ${ctx.socketPath})`,
      EXIT.failed,
    );
  for await (const event of daemon.events()) ctx.out.jsonLine(event);
  throw new CliError("the daemon closed the event stream", EXIT.failed);
}
