import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { validateSnapshot, type Reconciler, type ReconcilerEvent } from "@archy/reconciler";
import { EXIT } from "../cli-error.js";
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

const MAX_BODY = 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      throw Object.assign(new Error("request body too large"), { statusCode: 413 });
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as unknown) : {};
}

/**
 * The daemon's local API: HTTP/JSON on a unix socket. Operations answer at
 * once with the transitional state; the work goes on in the background.
 */
export function createApiServer(deps: ApiDeps): Server {
  const { reconciler } = deps;
  const clients = new Set<ServerResponse>();
  reconciler.subscribe((event: ReconcilerEvent) => {
    const data = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of clients) res.write(data);
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
      async (m, _u, _q, res) =>
        send(res, 200, { app: await reconciler.appStatus(decodeURIComponent(m[1]!)) }),
    ],
    [
      "POST",
      /^\/v1\/apps\/([^/]+)\/(start|stop|restart)$/,
      async (m, _u, _q, res) => {
        const id = decodeURIComponent(m[1]!);
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
        const body = (await readJson(req)) as { manifest?: unknown; file?: unknown };
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
        const handle = await reconciler.remove(decodeURIComponent(m[1]!), {
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
        const body = (await readJson(req)) as { snapshot?: unknown };
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
        req.on("close", () => {
          clearInterval(heartbeat);
          clients.delete(res);
        });
      },
    ],
  ];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://archy");
    const route = routes.find(
      ([method, pattern]) => method === req.method && pattern.test(url.pathname),
    );
    if (!route)
      return send(res, 404, {
        error: { message: `no such endpoint: ${req.method} ${url.pathname}`, exitCode: EXIT.usage },
      });
    const match = route[1].exec(url.pathname)!;
    route[2](match, url, req, res).catch((error: unknown) => {
      const c = classify(error);
      const status =
        (error as { statusCode?: number }).statusCode ?? (c.exitCode === EXIT.usage ? 400 : 500);
      if (!res.headersSent)
        send(res, status, { error: { message: c.message, exitCode: c.exitCode } });
    });
  });
  server.on("close", () => {
    for (const res of clients) res.end();
  });
  return server;
}
