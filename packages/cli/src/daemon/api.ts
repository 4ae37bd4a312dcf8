import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { validateSnapshot, type Reconciler, type ReconcilerEvent } from "@archy/reconciler";
import { CliError, EXIT } from "../cli-error.js";
import { classify } from "../errors.js";
import { appsPayload } from "../views.js";

/** What the API needs of a reconciler (a Reconciler is one). */
export type ApiReconciler = Pick<
  Reconciler,
  | "subscribe"
  | "status"
  | "appStatus"
  | "orphans"
  | "getManifestErrors"
  | "notices"
  | "start"
  | "stop"
  | "restart"
  | "install"
  | "remove"
  | "resurrect"
  | "reconcileAll"
  | "plan"
  | "snapshotState"
>;

export interface ApiDeps {
  reconciler: ApiReconciler;
  /** Daemon facts for GET /v1/daemon. */
  info(): Record<string, unknown>;
  /** Asks the loop for a pass (no wait). */
  trigger(reason: string): void;
  log: { warn(obj: object, msg: string): void };
}

/** Bounds on what one client may send or hold (`createApiServer`'s `limits`). */
export interface ApiLimits {
  /** Largest request body: 4 MiB (a manifest is at most 1 MiB, JSON-escaped in the body). */
  maxBodyBytes: number;
  /** A client has this long to send its request's headers (a slow client is cut off, others are answered). */
  headersTimeoutMs: number;
  /** ... and this long to send the whole request. */
  requestTimeoutMs: number;
  /** An event-stream client that has not read this much is dropped instead of buffered without end. */
  maxUnreadEventBytes: number;
  /** Connections the socket queues before they are accepted (Node's default 511 refuses a burst of 1000). */
  backlog: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  maxBodyBytes: 4 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxUnreadEventBytes: 1024 * 1024,
  backlog: 4096,
};

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** An error the API answers with `status` and exit code 2 (bad usage), never as a bug. */
const badRequest = (status: number, message: string) =>
  Object.assign(new CliError(message, EXIT.usage), { statusCode: status });

async function readJson(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const tooLarge = () => badRequest(413, `request body too large (the limit is ${maxBytes} bytes)`);
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) throw tooLarge();
  const text = await new Promise<string>((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // Past the limit: nothing more is kept; the rest is read and dropped, the answer closes the connection.
      req.off("data", onData);
      req.resume();
      chunks.length = 0;
      reject(tooLarge());
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
  if (!text.trim()) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badRequest(400, `the request body is not JSON: ${(error as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw badRequest(400, "the request body must be a JSON object");
  return body as Record<string, unknown>;
}

/** A path segment, percent-decoded; a malformed one is a bad request, not a bug. */
function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(400, "malformed percent-encoding in the request path");
  }
}

/**
 * The daemon's local API: HTTP/JSON on a unix socket. Operations answer at
 * once with the transitional state; the work goes on in the background.
 */
export function createApiServer(deps: ApiDeps, limits: ApiLimits = DEFAULT_API_LIMITS): Server {
  const { reconciler } = deps;
  const clients = new Set<ServerResponse>();
  reconciler.subscribe((event: ReconcilerEvent) => {
    const data = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of clients) {
      // A client that stopped reading is dropped, not buffered for without end.
      if (res.writableLength > limits.maxUnreadEventBytes) res.destroy();
      else res.write(data);
    }
  });

  const routes: [
    string,
    RegExp,
    (m: RegExpExecArray, url: URL, req: IncomingMessage, res: ServerResponse) => Promise<void>,
  ][] = [
    [
      "GET",
      /^\/v1\/daemon$/,
      async (_m, _u, _q, res) =>
        send(res, 200, { ...deps.info(), notices: await reconciler.notices() }),
    ],
    [
      "GET",
      /^\/v1\/apps$/,
      async (_m, _u, _q, res) =>
        send(
          res,
          200,
          appsPayload(
            await reconciler.status(),
            reconciler.orphans(),
            reconciler.getManifestErrors(),
          ),
        ),
    ],
    [
      "GET",
      /^\/v1\/apps\/([^/]+)$/,
      async (m, _u, _q, res) => send(res, 200, { app: await reconciler.appStatus(segment(m[1]!)) }),
    ],
    [
      "POST",
      /^\/v1\/apps\/([^/]+)\/(start|stop|restart)$/,
      async (m, _u, _q, res) => {
        const id = segment(m[1]!);
        const op = m[2] as "start" | "stop" | "restart";
        const handle = await reconciler[op](id);
        void handle.done.catch((e: unknown) =>
          deps.log.warn({ app: id, err: String(e) }, `${op} failed`),
        );
        send(res, 202, { app: handle.status });
      },
    ],
    [
      "POST",
      /^\/v1\/apps$/,
      async (_m, _u, req, res) => {
        const body = (await readJson(req, limits.maxBodyBytes)) as {
          manifest?: unknown;
          file?: unknown;
        };
        if (typeof body.manifest !== "string")
          return send(res, 400, {
            error: {
              message: "expected { manifest: <yaml text>, file?: <name> }",
              exitCode: EXIT.usage,
            },
          });
        const handle = await reconciler.install(
          body.manifest,
          typeof body.file === "string" ? body.file : undefined,
        );
        void handle.done.catch(() => undefined);
        send(res, 202, { app: handle.status });
      },
    ],
    [
      "DELETE",
      /^\/v1\/apps\/([^/]+)$/,
      async (m, url, _q, res) => {
        const handle = await reconciler.remove(segment(m[1]!), {
          purge: url.searchParams.get("purge") === "true",
        });
        void handle.done.catch(() => undefined);
        send(res, 202, { app: handle.status });
      },
    ],
    [
      "POST",
      /^\/v1\/reconcile$/,
      async (_m, url, _q, res) => {
        if (url.searchParams.get("wait") === "true") {
          const report = await reconciler.reconcileAll({
            removeOrphans: url.searchParams.get("removeOrphans") === "true",
          });
          return send(res, 200, { report });
        }
        deps.trigger("requested through the API");
        send(res, 202, { triggered: true });
      },
    ],
    [
      "POST",
      /^\/v1\/resurrect$/,
      async (_m, _u, req, res) => {
        const body = (await readJson(req, limits.maxBodyBytes)) as { snapshot?: unknown };
        let snapshot;
        try {
          snapshot = validateSnapshot(body.snapshot);
        } catch (error) {
          return send(res, 400, {
            error: {
              message: `invalid snapshot: ${(error as Error).message}`,
              exitCode: EXIT.usage,
            },
          });
        }
        send(res, 200, await reconciler.resurrect(snapshot));
      },
    ],
    [
      "GET",
      /^\/v1\/plan$/,
      async (_m, url, _q, res) =>
        send(
          res,
          200,
          await reconciler.plan({
            removeOrphans: url.searchParams.get("removeOrphans") === "true",
          }),
        ),
    ],
    [
      "GET",
      /^\/v1\/snapshot$/,
      async (_m, _u, _q, res) => send(res, 200, await reconciler.snapshotState()),
    ],
    [
      "GET",
      /^\/v1\/events$/,
      async (_m, _u, req, res) => {
        res.writeHead(200, {
          "content-type": "text/event-stream",
          "cache-control": "no-cache",
          connection: "keep-alive",
        });
        res.write(": archy events\n\n");
        clients.add(res);
        const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
        // The response's close: the client went away (or was dropped), however the request ended.
        res.on("close", () => {
          clearInterval(heartbeat);
          clients.delete(res);
        });
      },
    ],
  ];

  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often those two are checked: a tenth of the shorter, so a slow client is cut off in time.
      connectionsCheckingInterval: Math.max(
        10,
        Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 10),
      ),
    },
    (req, res) => {
      const url = new URL(req.url ?? "/", "http://archy");
      const route = routes.find(
        ([method, pattern]) => method === req.method && pattern.test(url.pathname),
      );
      if (!route)
        return send(res, 404, {
          error: {
            message: `no such endpoint: ${req.method} ${url.pathname}`,
            exitCode: EXIT.usage,
          },
        });
      const match = route[1].exec(url.pathname)!;
      route[2](match, url, req, res).catch((error: unknown) => {
        const c = classify(error);
        const status =
          (error as { statusCode?: number }).statusCode ?? (c.exitCode === EXIT.usage ? 400 : 500);
        // A bug's stack goes to the daemon's log, not to the client.
        if (c.bug)
          deps.log.warn({ err: c.message, path: url.pathname }, "API request failed: a bug");
        const message = c.bug
          ? "internal error of the daemon (its log has the details)"
          : c.message;
        if (status === 413) res.setHeader("connection", "close");
        if (!res.headersSent) send(res, status, { error: { message, exitCode: c.exitCode } });
      });
    },
  );
  server.on("close", () => {
    for (const res of clients) res.end();
  });
  return server;
}
