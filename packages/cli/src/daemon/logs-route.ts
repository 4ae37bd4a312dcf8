import type { ServerResponse } from "node:http";
import { CliError, EXIT } from "../cli-error.js";
import { classify } from "../errors.js";
import type { LogSource } from "../log-source.js";
import type { ApiLimits } from "./limits.js";
import { heartbeat, SSE_HEADERS } from "./event-streams.js";

/** The largest `tail` a request may ask for. */
export const MAX_TAIL = 100_000;

const badRequest = (message: string) =>
  Object.assign(new CliError(message, EXIT.usage), { statusCode: 400 });

function parseQuery(url: URL): { tail?: number; follow: boolean } {
  const tail = url.searchParams.get("tail");
  const follow = url.searchParams.get("follow");
  if (tail !== null && !(/^\d{1,6}$/.test(tail) && Number(tail) <= MAX_TAIL))
    throw badRequest(`tail must be a whole number from 0 to ${MAX_TAIL}, not ${tail}`);
  if (follow !== null && follow !== "true" && follow !== "false")
    throw badRequest(`follow must be true or false, not ${follow}`);
  return { ...(tail !== null ? { tail: Number(tail) } : {}), follow: follow === "true" };
}

/** Resolves once `res` can take more (or has closed). */
const drained = (res: ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });

/**
 * `GET /v1/apps/:id/logs?tail=N&follow=true` as server-sent events:
 * `event: line` with `data: {"line","stream"}` per line, then `event: end`
 * when the log ends (at once without `follow`; when the container stops with
 * it). A failure after the stream began (the app has no container) ends it
 * with `event: end` too, its data `{"error": {"message","exitCode"}}`: an
 * event named `error` would reach an EventSource's onerror as if the
 * connection had failed, and the page would reconnect for ever. A client that
 * reads slowly slows `podman logs` down rather than being buffered for; its
 * going away ends `podman logs`. At most `limits.maxLogStreams` at once (503).
 */
export async function streamLogs(
  source: LogSource,
  id: string,
  url: URL,
  res: ServerResponse,
  limits: Pick<ApiLimits, "heartbeatMs" | "maxLogStreams">,
  open: Set<ServerResponse>,
): Promise<void> {
  const query = parseQuery(url);
  if (open.size >= limits.maxLogStreams)
    throw Object.assign(
      new CliError(
        `${open.size} log streams are open, the most the daemon serves at once: close one`,
        EXIT.failed,
      ),
      { statusCode: 503 },
    );
  const ac = new AbortController();
  open.add(res);
  res.once("close", () => {
    open.delete(res);
    ac.abort();
  });
  res.writeHead(200, SSE_HEADERS);
  res.write(`: archy logs ${id}\n\n`);
  if (query.follow) heartbeat(res, limits.heartbeatMs);
  try {
    for await (const line of source(id, { ...query, signal: ac.signal })) {
      if (ac.signal.aborted) break;
      if (!res.write(`event: line\ndata: ${JSON.stringify(line)}\n\n`)) await drained(res);
    }
    if (!ac.signal.aborted) res.end("event: end\ndata: {}\n\n");
  } catch (error) {
    if (ac.signal.aborted) return;
    const c = classify(error);
    const message = c.bug ? "internal error of the daemon reading the log" : c.message;
    res.end(
      `event: end\ndata: ${JSON.stringify({ error: { message, exitCode: c.exitCode } })}\n\n`,
    );
    if (c.bug) throw error; // for the daemon's log (the stream has ended)
  }
}
