// The status page's HTTP listener in process: a real listener on 127.0.0.1:0,
// the socket's API handler with a real Reconciler on the fake runtime, a stub
// log source and stub page assets. Access (token, cookie, bearer), the Host
// and Origin checks, rotation, the page's headers, the API and its streams.
import { once } from "node:events";
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync, gunzipSync } from "node:zlib";
import { Reconciler } from "@archy/reconciler";
import { FakeRuntime } from "@archy/runtime-podman/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiHandler, createApiServer, DEFAULT_API_LIMITS, type ApiHandler } from "./api.js";
import { parseHttpAddress } from "./http-address.js";
import { createHttpServer, CSP, listenHttp, type DashboardAsset } from "./http.js";
import type { LogLine, LogSource } from "./logs-route.js";
import { ensureToken, rotateToken, sessionFor, TokenFile, tokenPath } from "./token.js";

const SECRET = "hunter2-http-s3cret";
const manifest = (id: string) =>
  `app:\n  id: ${id}\n  name: ${id}\n  version: "1"\n  container:\n    image: localhost/${id}:1\n    env: { DB_PASSWORD: ${SECRET} }\n`;

const asset = (path: string, contentType: string, text: string): DashboardAsset => ({
  path,
  contentType,
  body: Buffer.from(text),
  gzip: gzipSync(text),
  etag: `"${path.length}-etag"`,
});
const PAGE = asset("/", "text/html; charset=utf-8", "<!doctype html><title>archy</title>");
const SCRIPT = asset("/assets/app-1234.js", "text/javascript; charset=utf-8", "console.log(1)");
const assets = (path: string) =>
  path === "/" || path === "/index.html" ? PAGE : path === SCRIPT.path ? SCRIPT : undefined;

let root: string;
let server: Server;
let port: number;
let token: string;
let reconciler: Reconciler;
let fake: FakeRuntime;
let api: ApiHandler;
let logLines: LogLine[];
let logFollowed: AbortSignal | null;
const warnings: string[] = [];

const logs: LogSource = async function* (_id, opts) {
  yield* logLines.slice(opts.tail === undefined ? 0 : -opts.tail || logLines.length);
  if (opts.follow) {
    logFollowed = opts.signal;
    await once(opts.signal, "abort");
  }
};

async function start(limits = {}) {
  fake = new FakeRuntime({ images: ["localhost/db:1"] });
  const apps = join(root, "apps");
  await mkdir(apps);
  await writeFile(join(apps, "db.yaml"), manifest("db"));
  reconciler = new Reconciler({
    runtime: fake,
    manifestsDir: apps,
    stateDir: root,
    startSettleMs: 0,
  });
  await reconciler.reconcileAll();
  const log = { warn: (_o: object, m: string) => void warnings.push(m) };
  api = createApiHandler(
    { reconciler, info: () => ({ pid: 1 }), trigger: () => undefined, log, logs },
    { ...DEFAULT_API_LIMITS, ...limits },
  );
  token = await ensureToken(root);
  server = createHttpServer(
    {
      address: parseHttpAddress("127.0.0.1:0"),
      tokens: new TokenFile(tokenPath(root)),
      api: () => api,
      assets,
      log,
    },
    { ...DEFAULT_API_LIMITS, ...limits },
  );
  port = await listenHttp(server, parseHttpAddress("127.0.0.1:0"));
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-http-"));
  warnings.length = 0;
  logLines = [];
  logFollowed = null;
  await start();
});
afterEach(async () => {
  api.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fake.dispose();
  await rm(root, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: () => { error?: { message: string } } & Record<string, unknown>;
}

/** One request to the listener; `headers` may replace host. */
function request(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        headers: { host: `127.0.0.1:${port}`, connection: "close", ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          const text = body.toString("utf8");
          expect(text).not.toContain(SECRET);
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body,
            text,
            json: () => JSON.parse(text) as ReturnType<Answer["json"]>,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const cookieOf = (t: string) => ({ cookie: `other=1; archy_session=${sessionFor(t)}` });
const origin = () => ({ origin: `http://127.0.0.1:${port}` });

/** The first `count` server-sent events of a stream, as [event name, data] pairs. */
function sse(path: string, headers: Record<string, string>, count: number, onOpen?: () => void) {
  return new Promise<{ status: number; events: [string, string][] }>((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        const events: [string, string][] = [];
        let buffer = "";
        if (res.statusCode !== 200) {
          res.resume();
          return resolve({ status: res.statusCode!, events });
        }
        onOpen?.();
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.startsWith(":")) continue;
            const name = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
            events.push([name, /^data: (.*)$/m.exec(block)?.[1] ?? ""]);
            if (events.length === count) {
              req.destroy();
              resolve({ status: 200, events });
            }
          }
        });
        res.on("end", () => resolve({ status: 200, events }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("access", () => {
  it("without the token or cookie: 401, a page saying to run archy dashboard, JSON for the API", async () => {
    const page = await request("GET", "/");
    expect(page.status).toBe(401);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.text).toContain("archy dashboard");
    expect(page.headers["www-authenticate"]).toBe('Bearer realm="archy"');
    const apiAnswer = await request("GET", "/v1/apps");
    expect(apiAnswer.status).toBe(401);
    expect(apiAnswer.json().error?.message).toMatch(/run archy dashboard/);
    expect((await request("GET", SCRIPT.path)).status).toBe(401);
    expect((await request("GET", "/v1/apps", { cookie: "archy_session=forged" })).status).toBe(401);
  });

  it("GET /?token=T: 303 to / with the session cookie; a wrong token: 401", async () => {
    const answer = await request("GET", `/?token=${token}`);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe("/");
    expect(answer.headers["set-cookie"]).toEqual([
      `archy_session=${sessionFor(token)}; HttpOnly; SameSite=Strict; Path=/`,
    ]);
    expect(answer.headers["set-cookie"]![0]).not.toContain(token); // the cookie is not the token
    const wrong = await request("GET", `/?token=${token.slice(0, -1)}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers["set-cookie"]).toBeUndefined();
  });

  it("the cookie opens the page, its assets and the API", async () => {
    const page = await request("GET", "/", cookieOf(token));
    expect(page.status).toBe(200);
    expect(page.text).toBe(PAGE.body.toString());
    const apps = await request("GET", "/v1/apps", cookieOf(token));
    expect(apps.status).toBe(200);
    expect(apps.json().apps).toEqual([expect.objectContaining({ id: "db" })]);
  });

  it("a bearer token opens the API; a wrong one does not", async () => {
    const ok = await request("GET", "/v1/daemon", { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.json().pid).toBe(1);
    const bad = await request("GET", "/v1/daemon", { authorization: `Bearer ${token}x` });
    expect(bad.status).toBe(401);
    // A wrong bearer token is not rescued by a valid cookie.
    expect(
      (await request("GET", "/v1/daemon", { authorization: "Bearer nope", ...cookieOf(token) }))
        .status,
    ).toBe(401);
  });

  it.each([
    ["an attacker's name (DNS rebinding)", "evil.example:PORT"],
    ["another port", "127.0.0.1:1"],
    ["no port (80)", "127.0.0.1"],
    ["a name with the right port", "archy.example:PORT"],
  ])("a Host header of %s: 421, before the token is looked at", async (_what, host) => {
    const answer = await request("GET", `/?token=${token}`, {
      host: host.replace("PORT", String(port)),
    });
    expect(answer.status).toBe(421);
    expect(answer.text).toContain(`http://127.0.0.1:${port} only`);
    expect(answer.headers["set-cookie"]).toBeUndefined();
  });

  it("localhost names a loopback listener too", async () => {
    const answer = await request("GET", "/v1/apps", {
      host: `localhost:${port}`,
      ...cookieOf(token),
    });
    expect(answer.status).toBe(200);
  });

  it("a state-changing request with the cookie needs this listener's Origin: 403 without or foreign, 202 same", async () => {
    const none = await request("POST", "/v1/apps/db/stop", cookieOf(token));
    expect(none.status).toBe(403);
    expect(none.json().error?.message).toBe(
      `a POST request needs the Origin http://127.0.0.1:${port}`,
    );
    const foreign = await request("POST", "/v1/apps/db/stop", {
      ...cookieOf(token),
      origin: "http://evil.example",
    });
    expect(foreign.status).toBe(403);
    expect(foreign.json().error?.message).toContain("not http://evil.example");
    expect((await reconciler.appStatus("db")).desired).toBe("running"); // nothing happened
    const same = await request("POST", "/v1/apps/db/stop", { ...cookieOf(token), ...origin() });
    expect(same.status).toBe(202);
    expect((same.json().app as { phase: string }).phase).toBe("stopping");
  });

  it("a bearer request may omit Origin (curl, scripts); a foreign one is still refused", async () => {
    const bearer = { authorization: `Bearer ${token}` };
    expect((await request("POST", "/v1/reconcile", bearer)).status).toBe(202);
    expect(
      (await request("POST", "/v1/reconcile", { ...bearer, origin: "http://evil.example" })).status,
    ).toBe(403);
  });

  it("a rotated token takes effect at the next request: the old cookie and token get 401", async () => {
    expect((await request("GET", "/v1/apps", cookieOf(token))).status).toBe(200);
    const fresh = await rotateToken(root);
    expect(fresh).not.toBe(token);
    expect((await request("GET", "/v1/apps", cookieOf(token))).status).toBe(401);
    expect((await request("GET", `/?token=${token}`)).status).toBe(401);
    expect((await request("GET", "/v1/apps", cookieOf(fresh))).status).toBe(200);
    expect((await request("GET", `/?token=${fresh}`)).status).toBe(303);
  });

  it("no token file: nobody comes in", async () => {
    await rm(tokenPath(root));
    expect((await request("GET", `/?token=${token}`)).status).toBe(401);
    expect((await request("GET", "/v1/apps", cookieOf(token))).status).toBe(401);
  });
});

describe("the token file", () => {
  it("is 43 base64url characters, 0600, kept across calls, made 0600 again, replaced when invalid", async () => {
    const file = tokenPath(root);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await chmod(file, 0o644);
    expect(await ensureToken(root)).toBe(token);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const rotated = await rotateToken(root);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await ensureToken(root)).toBe(rotated);
    await writeFile(file, "short\n");
    const replaced = await ensureToken(root);
    expect(replaced).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await new TokenFile(file).current()).toBe(replaced);
  });
});

describe("the page", () => {
  const securityHeaders = (h: IncomingHttpHeaders) => {
    expect(h["content-security-policy"]).toBe(CSP);
    expect(CSP).toMatch(/^default-src 'self'; script-src 'self';/);
    expect(CSP).not.toContain("unsafe-inline");
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["referrer-policy"]).toBe("no-referrer");
    expect(h["x-frame-options"]).toBe("DENY");
  };

  it("/ and /index.html: the page, no-store, with the security headers", async () => {
    for (const path of ["/", "/index.html"]) {
      const page = await request("GET", path, cookieOf(token));
      expect(page.status).toBe(200);
      expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(page.headers["cache-control"]).toBe("no-store");
      securityHeaders(page.headers);
    }
  });

  it("an asset: its ETag (304 when it matches), gzip when accepted, the security headers", async () => {
    const plain = await request("GET", SCRIPT.path, cookieOf(token));
    expect(plain.status).toBe(200);
    expect(plain.text).toBe("console.log(1)");
    expect(plain.headers.etag).toBe(SCRIPT.etag);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.headers.vary).toBe("accept-encoding");
    securityHeaders(plain.headers);
    const zipped = await request("GET", SCRIPT.path, {
      ...cookieOf(token),
      "accept-encoding": "gzip, deflate",
    });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(zipped.body).toString()).toBe("console.log(1)");
    const again = await request("GET", SCRIPT.path, {
      ...cookieOf(token),
      "if-none-match": SCRIPT.etag,
    });
    expect(again.status).toBe(304);
  });

  it("the API's answers are no-store with the same headers; an unknown path is 404, a POST to the page 405", async () => {
    const apps = await request("GET", "/v1/apps", cookieOf(token));
    expect(apps.headers["cache-control"]).toBe("no-store");
    securityHeaders(apps.headers);
    expect((await request("GET", "/nope", cookieOf(token))).status).toBe(404);
    const post = await request("POST", "/", { ...cookieOf(token), ...origin() });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
  });
});

describe("the API over HTTP", () => {
  it("/v1/events delivers an event", async () => {
    const stream = sse("/v1/events", cookieOf(token), 1, () => void reconciler.stop("db"));
    const { status, events } = await stream;
    expect(status).toBe(200);
    expect(JSON.parse(events[0]![1])).toMatchObject({
      type: "desired",
      app: "db",
      desired: "stopped",
    });
  });

  it("GET /v1/snapshot (which holds the manifests' secret values) is served on the socket only", async () => {
    const answer = await request("GET", "/v1/snapshot", cookieOf(token));
    expect(answer.status).toBe(404);
    expect(answer.json().error?.message).toMatch(/socket only/);
  });

  it("the logs: the last lines, then end; followed, new lines until the client goes away", async () => {
    logLines = [1, 2, 3].map((i) => ({ line: `line ${i}`, stream: "stdout" as const }));
    const tail = await sse("/v1/apps/db/logs?tail=2", cookieOf(token), 10);
    expect(tail.events).toEqual([
      ["line", JSON.stringify({ line: "line 2", stream: "stdout" })],
      ["line", JSON.stringify({ line: "line 3", stream: "stdout" })],
      ["end", "{}"],
    ]);
    const followed = await sse("/v1/apps/db/logs?follow=true", cookieOf(token), 3);
    expect(followed.events.map((e) => e[0])).toEqual(["line", "line", "line"]);
    await new Promise<void>((resolve) =>
      logFollowed!.aborted ? resolve() : logFollowed!.addEventListener("abort", () => resolve()),
    );
  });

  it("the logs: a bad query or an unknown app is a 400 before the stream begins", async () => {
    for (const [path, message] of [
      ["/v1/apps/db/logs?tail=-1", "tail must be a whole number from 0 to 100000, not -1"],
      ["/v1/apps/db/logs?tail=100001", "tail must be a whole number from 0 to 100000, not 100001"],
      ["/v1/apps/db/logs?follow=yes", "follow must be true or false, not yes"],
      ["/v1/apps/nope/logs", "unknown app: nope"],
    ] as const) {
      const answer = await request("GET", path, cookieOf(token));
      expect(answer.status).toBe(400);
      expect(answer.json().error?.message).toBe(message);
    }
  });
});

describe("limits", () => {
  it("a client sending its headers a byte at a time is cut off", async () => {
    api.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    fake.dispose();
    await rm(join(root, "apps"), { recursive: true });
    await start({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const socket = connect(port, "127.0.0.1");
    const started = Date.now();
    const head = `GET /v1/apps HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`;
    let i = 0;
    const drip = setInterval(() => socket.write(head[i++ % head.length]!), 20);
    await once(socket, "close");
    clearInterval(drip);
    expect(Date.now() - started).toBeLessThan(2_000);
    // Others are answered meanwhile and after.
    expect((await request("GET", "/v1/apps", cookieOf(token))).status).toBe(200);
  });

  it("the unix socket and the HTTP listener share one handler: an event reaches both", async () => {
    const socketPath = join(root, "archy.sock");
    const socketServer = createApiServer(
      { reconciler, info: () => ({}), trigger: () => undefined, log: console },
      DEFAULT_API_LIMITS,
      api,
    );
    socketServer.listen(socketPath);
    await once(socketServer, "listening");
    try {
      const onSocket = new Promise<string>((resolve) => {
        const s = connect(socketPath);
        let text = "";
        s.on("data", (d: Buffer) => {
          text += d.toString();
          if (text.includes("data: ")) {
            s.destroy();
            resolve(text);
          }
        });
        s.write("GET /v1/events HTTP/1.1\r\nhost: archy\r\n\r\n");
      });
      const onHttp = sse("/v1/events", cookieOf(token), 1, () => {
        setTimeout(() => void reconciler.stop("db"), 50);
      });
      expect((await onHttp).events).toHaveLength(1);
      expect(await onSocket).toContain('"type":"phase"');
    } finally {
      socketServer.closeAllConnections();
      await new Promise((resolve) => socketServer.close(resolve));
    }
  });
});
