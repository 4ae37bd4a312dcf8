import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { validateSnapshot, type Reconciler, type ReconcilerEvent } from "@archy/reconciler";
import type {
  ApiErrorBody,
  AppAnswer,
  DaemonInfo,
  InstallRequest,
  ReconcileAnswer,
  UpdateRequest,
} from "@archy/reconciler/api";
import { CliError, EXIT } from "../cli-error.js";
import { classify } from "../errors.js";
import { appsPayload } from "../views.js";
import { EventStreams } from "./event-streams.js";
import type { LogSource } from "../log-source.js";
import { streamLogs } from "./logs-route.js";
import { DEFAULT_API_LIMITS, type ApiLimits } from "./limits.js";

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
  | "update"
  | "unblockUpdates"
  | "install"
  | "remove"
  | "resurrect"
  | "reconcileAll"
  | "plan"
  | "snapshotState"
>;

export interface ApiDeps {
  reconciler: ApiReconciler;
  /**
   * Daemon facts for GET /v1/daemon: `DaemonInfo` of @archy/reconciler/api
   * without its notices, which come from the reconciler.
   */
  info(): Record<string, unknown>;
  /** Asks the loop for a pass (no wait). */
  trigger(reason: string): void;
  log: { warn(obj: object, msg: string): void };
  /** The containers' logs for `GET /v1/apps/:id/logs` (absent: that endpoint answers 404). */
  logs?: LogSource;
  /** `GET /metrics` in Prometheus's text format (absent: 404). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/** Where a request came in: the unix socket, or the token-protected HTTP listener. */
export type Transport = "socket" | "http";

/** The API's request handler, shared by the unix socket server and the HTTP listener. */
export interface ApiHandler {
  handle(req: IncomingMessage, res: ServerResponse, transport?: Transport): void;
  /** Ends every event and log stream (the servers are closing). */
  close(): void;
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** An error the API answers with `status` and exit code 2 (bad usage), never as a bug. */
export const badRequest = (status: number, message: string) =>
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
export function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(400, "malformed percent-encoding in the request path");
  }
}

type Route = [
  method: string,
  pattern: RegExp,
  run: (m: RegExpExecArray, url: URL, req: IncomingMessage, res: ServerResponse) => Promise<void>,
  /** Set on a route the HTTP listener does not serve: why. */
  socketOnly?: string,
];

function notFound(req: IncomingMessage, url: URL, res: ServerResponse, why?: string): void {
  send(res, 404, {
    error: {
      message: `no such endpoint: ${req.method} ${url.pathname}${why ? ` (${why})` : ""}`,
      exitCode: EXIT.usage,
    },
  } satisfies ApiErrorBody);
}

/**
 * The daemon's API: HTTP/JSON requests to answer, from the unix socket or the
 * HTTP listener. Operations answer at once with the transitional state; the
 * work goes on in the background.
 */
export function createApiHandler(
  deps: ApiDeps,
  limits: ApiLimits = DEFAULT_API_LIMITS,
): ApiHandler {
  const { reconciler } = deps;
  const events = new EventStreams(limits);
  reconciler.subscribe((event: ReconcilerEvent) => events.publish(event));
  const logStreams = new Set<ServerResponse>();

  /**
   * Answers 202 with an operation's transitional state. Its work goes on in the
   * background, after the answer: a failure there has no client left to tell,
   * so it goes to the daemon's log rather than nowhere.
   */
  const accepted = (
    res: ServerResponse,
    op: string,
    app: string,
    handle: Awaited<ReturnType<ApiReconciler["start"]>>,
  ) => {
    void handle.done.catch((e: unknown) => deps.log.warn({ app, err: String(e) }, `${op} failed`));
    send(res, 202, { app: handle.status });
  };

  const routes: Route[] = [
    [
      "GET",
      /^\/v1\/daemon$/,
      async (_m, _u, _q, res) =>
        send(res, 200, {
          ...deps.info(),
          notices: await reconciler.notices(),
        } satisfies Pick<DaemonInfo, "notices">),
    ],
    [
      "GET",
      /^\/metrics$/,
      async (_m, url, req, res) => {
        if (!deps.metrics) return notFound(req, url, res);
        const { contentType, body } = await deps.metrics();
        res.writeHead(200, {
          "content-type": contentType,
          "content-length": Buffer.byteLength(body),
        });
        res.end(body);
      },
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
      async (m, _u, _q, res) =>
        send(res, 200, { app: await reconciler.appStatus(segment(m[1]!)) } satisfies AppAnswer),
    ],
    [
      "POST",
      /^\/v1\/apps\/([^/]+)\/(start|stop|restart)$/,
      async (m, _u, _q, res) => {
        const id = segment(m[1]!);
        const op = m[2] as "start" | "stop" | "restart";
        accepted(res, op, id, await reconciler[op](id));
      },
    ],
    [
      "POST",
      /^\/v1\/apps\/([^/]+)\/update$/,
      async (m, _u, req, res) => {
        const id = segment(m[1]!);
        const { to } = (await readJson(req, limits.maxBodyBytes)) as {
          [K in keyof UpdateRequest]?: unknown;
        };
        if (to !== undefined && typeof to !== "string")
          return send(res, 400, {
            error: { message: "expected { to?: <image reference> }", exitCode: EXIT.usage },
          } satisfies ApiErrorBody);
        accepted(res, "update", id, await reconciler.update(id, to === undefined ? {} : { to }));
      },
    ],
    [
      "POST",
      /^\/v1\/apps\/([^/]+)\/unblock$/,
      async (m, _u, _q, res) =>
        send(res, 200, { unblocked: await reconciler.unblockUpdates(segment(m[1]!)) }),
    ],
    [
      "POST",
      /^\/v1\/apps$/,
      async (_m, _u, req, res) => {
        const body = (await readJson(req, limits.maxBodyBytes)) as {
          [K in keyof InstallRequest]?: unknown;
        };
        if (typeof body.manifest !== "string")
          return send(res, 400, {
            error: {
              message: "expected { manifest: <yaml text>, file?: <name> }",
              exitCode: EXIT.usage,
            },
          } satisfies ApiErrorBody);
        const handle = await reconciler.install(
          body.manifest,
          typeof body.file === "string" ? body.file : undefined,
        );
        accepted(res, "install", handle.status.id, handle);
      },
    ],
    [
      "DELETE",
      /^\/v1\/apps\/([^/]+)$/,
      async (m, url, _q, res) => {
        const id = segment(m[1]!);
        const handle = await reconciler.remove(id, {
          purge: url.searchParams.get("purge") === "true",
        });
        accepted(res, "remove", id, handle);
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
          return send(res, 200, { report } satisfies ReconcileAnswer);
        }
        deps.trigger("requested through the API");
        send(res, 202, { triggered: true } satisfies ReconcileAnswer);
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
          } satisfies ApiErrorBody);
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
      // The snapshot holds each manifest's text, secret values included (SPEC section 8).
      "socket only: the snapshot holds the manifests' secret values",
    ],
    ["GET", /^\/v1\/events$/, async (_m, _u, _q, res) => events.add(res)],
    [
      "GET",
      /^\/v1\/apps\/([^/]+)\/logs$/,
      async (m, url, req, res) => {
        const id = segment(m[1]!);
        await reconciler.appStatus(id); // an unknown app: 400 before the stream begins
        if (!deps.logs) return notFound(req, url, res);
        await streamLogs(deps.logs, id, url, res, limits, logStreams);
      },
    ],
  ];

  return {
    handle(req, res, transport = "socket") {
      const url = new URL(req.url ?? "/", "http://archy");
      const route = routes.find(
        ([method, pattern]) => method === req.method && pattern.test(url.pathname),
      );
      if (!route) return notFound(req, url, res);
      if (transport === "http" && route[3]) return notFound(req, url, res, route[3]);
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
        if (!res.headersSent)
          send(res, status, { error: { message, exitCode: c.exitCode } } satisfies ApiErrorBody);
        else res.destroy(); // a stream that broke half-way
      });
    },
    close() {
      events.close();
      for (const res of logStreams) res.destroy();
    },
  };
}

/** The options of a node:http server that enforce `limits` on its clients. */
export function serverOptions(limits: ApiLimits) {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // How often those two are checked: a tenth of the shorter, so a slow client is cut off in time.
    connectionsCheckingInterval: Math.max(
      10,
      Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 10),
    ),
  };
}

/** The API's server for the unix socket (`listen({ path })` it). */
export function createApiServer(
  deps: ApiDeps,
  limits: ApiLimits = DEFAULT_API_LIMITS,
  handler: ApiHandler = createApiHandler(deps, limits),
): Server {
  const server = createServer(serverOptions(limits), (req, res) =>
    handler.handle(req, res, "socket"),
  );
  server.on("close", () => handler.close());
  return server;
}
