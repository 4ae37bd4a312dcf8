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
      if (error instanceof CliError) throw error;
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

  /** The daemon's server-sent events, parsed, until `signal` aborts or the daemon goes away. */
  async *events(signal?: AbortSignal): AsyncIterable<Record<string, unknown>> {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method: "GET",
          path: "/v1/events",
          headers: { accept: "text/event-stream" },
        },
        resolve,
      );
      req.on("error", reject);
      signal?.addEventListener("abort", () => req.destroy(), { once: true });
      req.end();
    });
    res.setEncoding("utf8");
    let buffer = "";
    try {
      for await (const chunk of res) {
        buffer += chunk as string;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split("\n")
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5).trimStart())
            .join("\n");
          if (data) yield JSON.parse(data) as Record<string, unknown>;
        }
      }
    } catch (error) {
      if (!signal?.aborted) throw error;
    }
  }
}
