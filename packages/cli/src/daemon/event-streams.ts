import type { ServerResponse } from "node:http";
import type { ApiLimits } from "./limits.js";

/** The headers of a server-sent event stream (`GET /v1/events`, `GET /v1/apps/:id/logs`). */
export const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-store",
} as const;

/**
 * A comment line on `res` every `ms` until it closes: proxies and browsers
 * keep a quiet stream open. One timer per open stream, none without streams.
 */
export function heartbeat(res: ServerResponse, ms: number): void {
  const timer = setInterval(() => res.write(": keep-alive\n\n"), ms);
  res.once("close", () => clearInterval(timer));
}

/**
 * The clients of `GET /v1/events`, from both transports: each gets
 * `data: <event JSON>` for every state change published after its response
 * headers went out.
 */
export class EventStreams {
  private readonly clients = new Set<ServerResponse>();
  constructor(private readonly limits: Pick<ApiLimits, "maxUnreadEventBytes" | "heartbeatMs">) {}

  /** Registers `res` in the same step as its headers are sent: every later event reaches it. */
  add(res: ServerResponse): void {
    res.writeHead(200, SSE_HEADERS);
    res.write(": archy events\n\n");
    this.clients.add(res);
    heartbeat(res, this.limits.heartbeatMs);
    // The response's close: the client went away (or was dropped), however the request ended.
    res.once("close", () => this.clients.delete(res));
  }

  publish(event: unknown): void {
    const data = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of this.clients) {
      // A client that stopped reading is dropped, not buffered for without end.
      if (res.writableLength > this.limits.maxUnreadEventBytes) res.destroy();
      else res.write(data);
    }
  }

  get size(): number {
    return this.clients.size;
  }

  close(): void {
    for (const res of this.clients) res.end();
  }
}
