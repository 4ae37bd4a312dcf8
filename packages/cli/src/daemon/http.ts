import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { DashboardAsset } from "@archy/dashboard";
import { CliError, EXIT } from "../cli-error.js";
import { send, type ApiHandler } from "./api.js";
import { DEFAULT_API_LIMITS, type ApiLimits } from "./limits.js";
import { authority, hostAllowed, type HttpAddress } from "./http-address.js";
import { safeEqual, sessionFor, type TokenFile } from "./token.js";

export interface HttpDeps {
  address: HttpAddress;
  tokens: Pick<TokenFile, "current">;
  /** The API's handler; null while the daemon is starting (the API answers 503 until then). */
  api(): ApiHandler | null;
  /** The page's files: "/", "/index.html", "/assets/…". */
  assets(path: string): DashboardAsset | undefined;
  log: { warn(obj: object, msg: string): void };
}

/** The session cookie's name. */
export const SESSION_COOKIE = "archy_session";

/**
 * The page's Content-Security-Policy (the one @archy/dashboard asks for):
 * its own scripts, styles, images and API only; no inline script or style,
 * no plugin, no form target, no frames.
 */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

const UNAUTHORIZED_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>archy: sign-in needed</title></head>
<body><h1>archy</h1>
<p>This status page needs its access token. On the server, run</p>
<pre>archy dashboard</pre>
<p>and open the address it prints. (A token that was rotated with
<code>archy dashboard --rotate-token</code> no longer works.)</p>
</body></html>
`;

function text(res: ServerResponse, status: number, body: string, type = "text/plain"): void {
  res.writeHead(status, {
    "content-type": `${type}; charset=utf-8`,
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** An error answer: JSON for the API, a line of text (or the sign-in page) for the rest. */
function refuse(res: ServerResponse, api: boolean, status: number, message: string): void {
  if (status === 401) res.setHeader("www-authenticate", 'Bearer realm="archy"');
  if (api) return send(res, status, { error: { message, exitCode: EXIT.usage } });
  if (status === 401) return text(res, status, UNAUTHORIZED_PAGE, "text/html");
  text(res, status, `${message}\n`);
}

function cookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * How the request proves it may come in: a bearer token (scripts), the
 * session cookie (the page), or not at all (null). Both compared in constant time.
 */
async function credential(
  req: IncomingMessage,
  tokens: HttpDeps["tokens"],
): Promise<"bearer" | "cookie" | null> {
  const token = await tokens.current();
  if (token === null) return null; // no token file: nobody comes in
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
  if (bearer !== undefined) return safeEqual(bearer, token) ? "bearer" : null;
  const session = cookie(req.headers.cookie, SESSION_COOKIE);
  if (session !== null && safeEqual(session, sessionFor(token))) return "cookie";
  return null;
}

function serveAsset(req: IncomingMessage, res: ServerResponse, asset: DashboardAsset): void {
  const page = asset.contentType.startsWith("text/html");
  res.setHeader("content-type", asset.contentType);
  res.setHeader("etag", asset.etag);
  res.setHeader("vary", "accept-encoding");
  // The page itself is never stored; /assets/… are named by their content: kept, privately.
  res.setHeader(
    "cache-control",
    page
      ? "no-store"
      : asset.path.startsWith("/assets/")
        ? "private, max-age=31536000, immutable"
        : "private, no-cache",
  );
  if (!page && req.headers["if-none-match"] === asset.etag) {
    res.writeHead(304);
    return void res.end();
  }
  const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  const body = gzip ? asset.gzip : asset.body;
  if (gzip) res.setHeader("content-encoding", "gzip");
  res.writeHead(200, { "content-length": body.length });
  res.end(req.method === "HEAD" ? undefined : body);
}

/** The listener's port (the bound one: `--http :0` takes a free port). */
const portOf = (server: Server) => {
  const a = server.address();
  return typeof a === "object" && a ? a.port : 0;
};

/**
 * The status page and the API over HTTP (`archy daemon --http`). Every
 * request must name this listener in its `Host` header (421 otherwise: a DNS
 * rebinding page cannot reach it) and carry the token, as a bearer token or
 * as the session cookie `GET /?token=T` hands out (401 otherwise). A request
 * that changes state also needs an `Origin` of this listener: always with the
 * cookie, and whenever a bearer request sends one (403 otherwise). The API is
 * the socket's own handler (`/v1/…`, less what the socket alone serves).
 */
export function createHttpServer(deps: HttpDeps, limits: ApiLimits = DEFAULT_API_LIMITS): Server {
  const server = createServer(
    {
      // Timeouts per connection below, instead of Node's check of every connection
      // every second: a listener nobody uses does no work.
      headersTimeout: 0,
      requestTimeout: 0,
      connectionsCheckingInterval: 2 ** 31 - 1,
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        deps.log.warn({ err: String(error), path: req.url }, "HTTP request failed: a bug");
        if (!res.headersSent) refuse(res, true, 500, "internal error of the daemon");
        else res.destroy();
      });
    },
  );
  guardConnections(server, limits);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const port = portOf(server);
    const url = new URL(req.url ?? "/", "http://archy");
    // The API, and Prometheus's scrape of /metrics (with the bearer token, as a script's).
    const api = url.pathname.startsWith("/v1/") || url.pathname === "/metrics";
    const host = req.headers.host;
    if (!hostAllowed(host, deps.address, port))
      return refuse(
        res,
        api,
        421,
        `this listener answers for http://${authority(deps.address.host, port)} only, not for ${host ?? "a request without a Host header"}`,
      );

    // The link `archy dashboard` prints: its token becomes the session cookie, and leaves the address bar.
    const given = url.pathname === "/" ? url.searchParams.get("token") : null;
    if (given !== null && (req.method === "GET" || req.method === "HEAD")) {
      const token = await deps.tokens.current();
      if (token === null || !safeEqual(given, token))
        return refuse(res, false, 401, "invalid token");
      res.writeHead(303, {
        location: "/",
        "set-cookie": `${SESSION_COOKIE}=${sessionFor(token)}; HttpOnly; SameSite=Strict; Path=/`,
        "content-length": 0,
      });
      return void res.end();
    }

    const via = await credential(req, deps.tokens);
    if (!via)
      return refuse(res, api, 401, "the token is missing or no longer valid: run archy dashboard");
    if (!SAFE_METHODS.has(req.method ?? "")) {
      const origin = req.headers.origin;
      const own = `http://${host!.toLowerCase()}`;
      if (origin === undefined ? via === "cookie" : origin.toLowerCase() !== own)
        return refuse(
          res,
          api,
          403,
          `a ${req.method} request needs the Origin ${own}${origin === undefined ? "" : `, not ${origin}`}`,
        );
    }

    if (api) {
      const handler = deps.api();
      if (!handler) return refuse(res, true, 503, "the daemon is starting: try again in a moment");
      return handler.handle(req, res, "http");
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return refuse(res, false, 405, `${req.method} is not served here`);
    }
    const asset = deps.assets(url.pathname);
    if (!asset) return refuse(res, false, 404, `not found: ${url.pathname}`);
    serveAsset(req, res, asset);
  }

  return server;
}

/**
 * The socket server's limits, enforced per connection: `headersTimeoutMs`
 * for each request's headers (the first, and each next one on a kept-alive
 * connection), `requestTimeoutMs` for a whole request body. The timers exist
 * only while a connection does; a stream's response may last for ever.
 */
function guardConnections(server: Server, limits: ApiLimits): void {
  const timers = new WeakMap<Socket, NodeJS.Timeout>();
  /** A 408 for the client that was too slow, unless an answer is on its way already. */
  const expire = (socket: Socket, res?: ServerResponse) => {
    if (res?.headersSent || socket.writableLength > 0) return void socket.destroy();
    socket.end(
      "HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
      () => socket.destroy(),
    );
  };
  const arm = (socket: Socket, ms: number, res?: ServerResponse) => {
    clearTimeout(timers.get(socket));
    const timer = setTimeout(() => expire(socket, res), ms);
    timer.unref();
    timers.set(socket, timer);
  };
  const disarm = (socket: Socket) => clearTimeout(timers.get(socket));
  server.on("connection", (socket: Socket) => {
    arm(socket, limits.headersTimeoutMs);
    socket.once("close", () => disarm(socket));
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const hasBody =
      req.headers["transfer-encoding"] !== undefined ||
      Number(req.headers["content-length"] ?? 0) > 0;
    if (!hasBody) disarm(socket);
    else {
      arm(socket, limits.requestTimeoutMs, res);
      req.once("end", () => disarm(socket));
    }
    res.once("finish", () => {
      if (!socket.destroyed) arm(socket, limits.headersTimeoutMs); // the next request's headers
    });
  });
}

/**
 * Listens on `address`; resolves with the bound port. A port in use, an
 * address this machine does not have or a port it may not bind is bad usage
 * (exit 2) with a sentence saying which.
 */
export async function listenHttp(server: Server, address: HttpAddress): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: address.host, port: address.port, backlog: 511 }, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const where = authority(address.host, address.port);
    const why =
      code === "EADDRINUSE"
        ? "the port is in use (another program, or another archy daemon)"
        : code === "EADDRNOTAVAIL"
          ? "this machine has no such address"
          : code === "EACCES"
            ? "not allowed (a port below 1024 needs root)"
            : code === "ENOTFOUND" || code === "EAI_AGAIN"
              ? "the host name does not resolve"
              : (error as Error).message;
    throw new CliError(
      `cannot serve the status page on ${where}: ${why} (${code ?? "error"})`,
      EXIT.usage,
    );
  }
  return portOf(server);
}
