// The status page's HTTP listener in process (see http.fixture.ts): the page
// and its headers, the API over HTTP (events, logs, what the socket alone
// serves), slow clients, one handler for both transports.
import { once } from "node:events";
import type { IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createApiServer } from "./api.js";
import { DEFAULT_API_LIMITS } from "./limits.js";
import {
  cookieOf,
  fx,
  origin,
  request,
  SCRIPT,
  sse,
  start,
  stop,
  useHttpListener,
} from "./http.fixture.js";
import { CSP } from "./http.js";

useHttpListener();

describe("the page", () => {
  const securityHeaders = (h: IncomingHttpHeaders) => {
    expect(h["content-security-policy"]).toBe(CSP);
    expect(CSP).toMatch(/^default-src 'none'; script-src 'self';/);
    expect(CSP).not.toContain("unsafe-inline");
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["referrer-policy"]).toBe("no-referrer");
    expect(h["x-frame-options"]).toBe("DENY");
  };

  it("/ and /index.html: the page, no-store, with the security headers", async () => {
    for (const path of ["/", "/index.html"]) {
      const page = await request("GET", path, cookieOf(fx.token));
      expect(page.status).toBe(200);
      expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(page.headers["cache-control"]).toBe("no-store");
      securityHeaders(page.headers);
    }
  });

  it("an asset: its ETag (304 when it matches), gzip when accepted, the security headers", async () => {
    const plain = await request("GET", SCRIPT.path, cookieOf(fx.token));
    expect(plain.status).toBe(200);
    expect(plain.text).toBe("console.log(1)");
    expect(plain.headers.etag).toBe(SCRIPT.etag);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.headers.vary).toBe("accept-encoding");
    // /assets/… are named by their content.
    expect(plain.headers["cache-control"]).toBe("private, max-age=31536000, immutable");
    securityHeaders(plain.headers);
    const zipped = await request("GET", SCRIPT.path, {
      ...cookieOf(fx.token),
      "accept-encoding": "gzip, deflate",
    });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(zipped.body).toString()).toBe("console.log(1)");
    const again = await request("GET", SCRIPT.path, {
      ...cookieOf(fx.token),
      "if-none-match": SCRIPT.etag,
    });
    expect(again.status).toBe(304);
  });

  it("the API's answers are no-store with the same headers; an unknown path is 404, a POST to the page 405", async () => {
    const apps = await request("GET", "/v1/apps", cookieOf(fx.token));
    expect(apps.headers["cache-control"]).toBe("no-store");
    securityHeaders(apps.headers);
    expect((await request("GET", "/nope", cookieOf(fx.token))).status).toBe(404);
    const post = await request("POST", "/", { ...cookieOf(fx.token), ...origin() });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
  });
});

describe("the API over HTTP", () => {
  it("/v1/events delivers an event", async () => {
    const stream = sse("/v1/events", cookieOf(fx.token), 1, () => void fx.reconciler.stop("db"));
    const { status, events } = await stream;
    expect(status).toBe(200);
    expect(JSON.parse(events[0]![1])).toMatchObject({
      type: "desired",
      app: "db",
      desired: "stopped",
    });
  });

  it("GET /v1/snapshot (which holds the manifests' secret values) is served on the socket only", async () => {
    const answer = await request("GET", "/v1/snapshot", cookieOf(fx.token));
    expect(answer.status).toBe(404);
    expect(answer.json().error?.message).toMatch(/socket only/);
  });

  it("the logs: the last lines, then end; followed, new lines until the client goes away", async () => {
    fx.logLines = [1, 2, 3].map((i) => ({ line: `line ${i}`, stream: "stdout" as const }));
    const tail = await sse("/v1/apps/db/logs?tail=2", cookieOf(fx.token), 10);
    expect(tail.events).toEqual([
      ["line", JSON.stringify({ line: "line 2", stream: "stdout" })],
      ["line", JSON.stringify({ line: "line 3", stream: "stdout" })],
      ["end", "{}"],
    ]);
    const followed = await sse("/v1/apps/db/logs?follow=true", cookieOf(fx.token), 3);
    expect(followed.events.map((e) => e[0])).toEqual(["line", "line", "line"]);
    await new Promise<void>((resolve) =>
      fx.logFollowed!.aborted
        ? resolve()
        : fx.logFollowed!.addEventListener("abort", () => resolve()),
    );
  });

  it("the logs: a bad query or an unknown app is a 400 before the stream begins", async () => {
    for (const [path, message] of [
      ["/v1/apps/db/logs?tail=-1", "tail must be a whole number from 0 to 100000, not -1"],
      ["/v1/apps/db/logs?tail=100001", "tail must be a whole number from 0 to 100000, not 100001"],
      ["/v1/apps/db/logs?follow=yes", "follow must be true or false, not yes"],
      ["/v1/apps/nope/logs", "unknown app: nope"],
    ] as const) {
      const answer = await request("GET", path, cookieOf(fx.token));
      expect(answer.status).toBe(400);
      expect(answer.json().error?.message).toBe(message);
    }
  });
});

describe("limits", () => {
  it("idle: Node's check of every connection is not run (timeouts are per connection instead)", () => {
    // 2^31-1 ms: once in 24.8 days; the per-connection timers exist only with a connection.
    const server = fx.server as typeof fx.server & { connectionsCheckingInterval: number };
    expect(server.connectionsCheckingInterval).toBe(2 ** 31 - 1);
    expect(fx.server.headersTimeout).toBe(0);
    expect(fx.server.requestTimeout).toBe(0);
  });

  it.each([
    ["its headers", () => "", () => `GET /v1/apps HTTP/1.1\r\nhost: 127.0.0.1:${fx.port}\r\n`],
    [
      "its body",
      () =>
        `POST /v1/apps HTTP/1.1\r\nhost: 127.0.0.1:${fx.port}\r\nauthorization: Bearer ${fx.token}\r\n` +
        "content-type: application/json\r\ncontent-length: 1000\r\n\r\n",
      () => `{"manifest": "${"x".repeat(980)}"}`,
    ],
  ])(
    "a client sending %s a byte at a time gets 408; others are answered",
    async (_what, head, drip) => {
      await stop();
      await start({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
      const socket = connect(fx.port, "127.0.0.1");
      socket.on("error", () => undefined); // the drip may write after the daemon closed
      let answer = "";
      socket.on("data", (d: Buffer) => (answer += d.toString()));
      const started = Date.now();
      socket.write(head());
      const bytes = drip();
      let i = 0;
      const timer = setInterval(() => socket.write(bytes[i++ % bytes.length]!), 20);
      // Others are answered meanwhile.
      expect((await request("GET", "/v1/apps", cookieOf(fx.token))).status).toBe(200);
      await once(socket, "close");
      clearInterval(timer);
      expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(Date.now() - started).toBeLessThan(2_000);
    },
  );

  it("the unix socket and the HTTP listener share one handler: an event reaches both", async () => {
    const socketPath = join(fx.root, "archy.sock");
    const socketServer = createApiServer(
      { reconciler: fx.reconciler, info: () => ({}), trigger: () => undefined, log: console },
      DEFAULT_API_LIMITS,
      fx.api,
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
      const onHttp = sse("/v1/events", cookieOf(fx.token), 1, () => {
        setTimeout(() => void fx.reconciler.stop("db"), 50);
      });
      expect((await onHttp).events).toHaveLength(1);
      expect(await onSocket).toContain('"type":"phase"');
    } finally {
      socketServer.closeAllConnections();
      await new Promise((resolve) => socketServer.close(resolve));
    }
  });
});
