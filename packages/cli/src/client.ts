import { existsSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { connect } from "node:net";
import type { ApiErrorBody, ReconcilerEvent } from "@archy/reconciler/api";
import { CliError, EXIT } from "./cli-error.js";

/** A client of the daemon's HTTP/JSON API on its unix socket. */
export class DaemonClient {
  constructor(readonly socketPath: string) {}

  /** A client when a daemon answers on the socket, else null. */
  static async connect(socketPath: string): Promise<DaemonClient | null> {
    return (await DaemonClient.get(socketPath, "/v1/daemon"))?.daemon ?? null;
  }

  /**
   * The daemon's answer to `GET path` and a client for more requests, or
   * null when no daemon answers on the socket (no socket, nobody listening,
   * nothing within 2 s): `connect` and a first request in one round trip. An
   * error the daemon answers with is thrown.
   */
  static async get<T>(
    socketPath: string,
    path: string,
  ): Promise<{ daemon: DaemonClient; body: T } | null> {
    if (!existsSync(socketPath)) return null; // no daemon: no need to try
    const daemon = new DaemonClient(socketPath);
    try {
      return { daemon, body: await daemon.request<T>("GET", path, undefined, 2_000) };
    } catch (error) {
      if (CliError.isInstance(error)) throw error;
      return null;
    }
  }

  /**
   * One request, its JSON answer. HTTP/1.1 spoken over the socket here rather
   * than through node:http: its client (module, agent, parser) costs about as
   * much as the rest of `archy ps` through the daemon. One request per
   * connection (`connection: close`); the answer ends at its content-length,
   * or when the daemon closes the connection.
   */
  request<T>(method: string, path: string, body?: unknown, timeoutMs = 0): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? "" : JSON.stringify(body);
      const socket = connect(this.socketPath);
      const chunks: Buffer[] = [];
      let received = 0;
      let head: ReturnType<typeof parseHead> = null;
      let settled = false;
      const finish = (error: Error | null) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        if (error) return reject(error);
        if (!head) return reject(new Error("the daemon closed the connection without an answer"));
        const rest = Buffer.concat(chunks).subarray(head.bodyStart);
        const text = (
          head.chunked ? dechunk(rest) : rest.subarray(0, head.length ?? rest.length)
        ).toString("utf8");
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          return reject(
            new CliError(`the daemon answered ${head.status} with invalid JSON`, EXIT.failed),
          );
        }
        if (head.status >= 400) {
          const e = (parsed as ApiErrorBody | null)?.error;
          return reject(
            new CliError(
              e?.message ?? `the daemon answered ${head.status}`,
              e?.exitCode ?? EXIT.failed,
            ),
          );
        }
        resolve(parsed as T);
      };
      if (timeoutMs > 0) socket.setTimeout(timeoutMs, () => finish(new Error("timeout")));
      socket.on("error", (error) => finish(error));
      socket.on("connect", () =>
        socket.write(
          `${method} ${path} HTTP/1.1\r\nhost: archy\r\nconnection: close\r\n` +
            (payload
              ? `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n`
              : "") +
            `\r\n${payload}`,
        ),
      );
      socket.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        head ??= parseHead(Buffer.concat(chunks));
        if (head?.length != null && received >= head.bodyStart + head.length) finish(null);
      });
      socket.on("end", () => finish(null));
    });
  }

  /**
   * Subscribes to the daemon's server-sent events. Resolves once the daemon
   * has accepted the subscription (its response headers arrived: it sends
   * them as it registers this client), so every event it publishes from then
   * on is in the stream. The stream yields each event's JSON until `signal`
   * aborts or the daemon goes away. Rejects when the daemon cannot be reached
   * or refuses, and when `signal` aborts first.
   */
  async subscribe(signal?: AbortSignal): Promise<AsyncIterable<DaemonEvent>> {
    // node:http only for streams: `ps` and `status` do not load it.
    const { request } = await import("node:http");
    return new Promise((resolve, reject) => {
      signal?.throwIfAborted();
      const req = request(
        {
          socketPath: this.socketPath,
          method: "GET",
          path: "/v1/events",
          headers: { accept: "text/event-stream" },
        },
        (res) => {
          if (res.statusCode === 200) return resolve(parseEvents(res, signal, onAbort));
          signal?.removeEventListener("abort", onAbort);
          res.resume();
          reject(
            new CliError(`the daemon refused the event stream (${res.statusCode})`, EXIT.failed),
          );
        },
      );
      const onAbort = () => req.destroy(signal?.reason as Error);
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (error) => {
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      });
      req.end();
    });
  }

  /** The daemon's server-sent events, parsed, until `signal` aborts or the daemon goes away. */
  async *events(signal?: AbortSignal): AsyncIterable<DaemonEvent> {
    let stream: AsyncIterable<DaemonEvent>;
    try {
      stream = await this.subscribe(signal);
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
    yield* stream;
  }
}

/**
 * The status line and headers of an answer, once all of them are in `data`:
 * the status, where the body starts, its content-length (null when not
 * given) and whether it comes in chunks.
 */
function parseHead(
  data: Buffer,
): { status: number; bodyStart: number; length: number | null; chunked: boolean } | null {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const [statusLine = "", ...headers] = data.toString("latin1", 0, end).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 500);
  let length: number | null = null;
  let chunked = false;
  for (const h of headers) {
    const colon = h.indexOf(":");
    const name = h.slice(0, colon).trim().toLowerCase();
    const value = h.slice(colon + 1).trim();
    if (name === "content-length") length = Number(value);
    else if (name === "transfer-encoding") chunked = /chunked/i.test(value);
  }
  return { status, bodyStart: end + 4, length, chunked };
}

/** A chunked body (`transfer-encoding: chunked`) as one. */
function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; ;) {
    const eol = body.indexOf("\r\n", i);
    const size = eol < 0 ? 0 : parseInt(body.toString("latin1", i, eol), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}

/** One event of the daemon's stream: the JSON of its `data`. */
export type DaemonEvent = ReconcilerEvent;

async function* parseEvents(
  res: IncomingMessage,
  signal: AbortSignal | undefined,
  onAbort: () => void,
): AsyncGenerator<DaemonEvent> {
  // Loaded on first use: commands that never stream (ps, status) do not pay for it.
  const { createParser } = await import("eventsource-parser");
  const pending: string[] = [];
  const parser = createParser({ onEvent: (message) => pending.push(message.data) });
  res.setEncoding("utf8");
  try {
    for await (const chunk of res) {
      parser.feed(chunk as string);
      for (let data = pending.shift(); data !== undefined; data = pending.shift())
        if (data !== "") yield parseData(data);
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

function parseData(data: string): DaemonEvent {
  try {
    return JSON.parse(data) as DaemonEvent;
  } catch {
    throw new CliError(`the daemon sent an event that is not JSON: ${data}`, EXIT.failed);
  }
}
