import { request, type IncomingMessage } from "node:http";
import { CliError, EXIT, type ExitCode } from "./cli-error.js";

export interface ApiErrorBody {
  error: { message: string; exitCode: ExitCode };
}

/** A client of the daemon's HTTP/JSON API on its unix socket. */
export class DaemonClient {
  constructor(readonly socketPath: string) {}

  /** A client when a daemon answers on the socket, else null. */
  static async connect(socketPath: string): Promise<DaemonClient | null> {
    const client = new DaemonClient(socketPath);
    try {
      await client.request("GET", "/v1/daemon", undefined, 2_000);
      return client;
    } catch (error) {
      if (CliError.isInstance(error)) throw error;
      return null;
    }
  }

  request<T>(method: string, path: string, body?: unknown, timeoutMs = 0): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: payload
            ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
            : {},
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (text += d));
          res.on("end", () => {
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              return reject(
                new CliError(
                  `the daemon answered ${res.statusCode} with invalid JSON`,
                  EXIT.failed,
                ),
              );
            }
            if ((res.statusCode ?? 500) >= 400) {
              const e = (parsed as ApiErrorBody | null)?.error;
              return reject(
                new CliError(
                  e?.message ?? `the daemon answered ${res.statusCode}`,
                  e?.exitCode ?? EXIT.failed,
                ),
              );
            }
            resolve(parsed as T);
          });
        },
      );
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error("timeout")));
      req.on("error", reject);
      req.end(payload);
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
  subscribe(signal?: AbortSignal): Promise<AsyncIterable<DaemonEvent>> {
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

/** One event of the daemon's stream: the JSON of its `data`. */
export type DaemonEvent = Record<string, unknown>;

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
