// Bad requests on the daemon's socket (issue 10): the API server in process,
// with a real Reconciler on the fake runtime and a manifests folder holding
// secrets. Each bad request gets its exact status, exit code and message; a
// slow client is cut off while others are answered; a thousand event-stream
// clients come and go without leaving a timer behind; no answer shows a secret.
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Reconciler } from "@archy/reconciler";
import { FakeRuntime } from "@archy/runtime-podman/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiServer } from "./api.js";
import { DEFAULT_API_LIMITS, type ApiLimits } from "./limits.js";

const SECRET = "hunter2-api-s3cret";
const manifest = (id: string) =>
  `app:\n  id: ${id}\n  name: ${id}\n  version: "1"\n  container:\n    image: localhost/${id}:1\n    env: { DB_PASSWORD: ${SECRET} }\n`;

let root: string;
let socketPath: string;
let server: Server;
let reconciler: Reconciler;
let fake: FakeRuntime;
const warnings: string[] = [];

async function start(limits: Partial<ApiLimits> = {}) {
  fake = new FakeRuntime({ images: ["localhost/db:1", "localhost/web:1"] });
  const apps = join(root, "apps");
  await mkdir(apps);
  await writeFile(join(apps, "db.yaml"), manifest("db"));
  reconciler = new Reconciler({
    runtime: fake,
    manifestsDir: apps,
    stateDir: root,
    startSettleMs: 0,
  });
  server = createApiServer(
    {
      reconciler,
      info: () => ({ pid: 1 }),
      trigger: () => undefined,
      log: { warn: (_o: object, m: string) => void warnings.push(m) },
    },
    { ...DEFAULT_API_LIMITS, ...limits },
  );
  server.listen({ path: socketPath, backlog: DEFAULT_API_LIMITS.backlog });
  await once(server, "listening");
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-api-abuse-"));
  socketPath = join(root, "archy.sock");
  warnings.length = 0;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fake.dispose();
  await rm(root, { recursive: true, force: true });
});

/** Raw bytes to the socket; the whole answer (until the server closes or `until` matches). */
async function raw(bytes: string | Buffer, until?: RegExp): Promise<string> {
  const socket = connect(socketPath);
  let text = "";
  socket.on("data", (d: Buffer) => {
    text += d.toString("utf8");
    if (until?.test(text)) socket.end();
  });
  socket.write(bytes);
  await once(socket, "close");
  return text;
}

/** One request: status and parsed JSON body (over a fresh connection, closed after). */
async function request(method: string, path: string, body?: string | Buffer, headers = "") {
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const head = `${method} ${path} HTTP/1.1\r\nhost: archy\r\nconnection: close\r\n${headers}content-length: ${payload.length}\r\n\r\n`;
  const text = await raw(Buffer.concat([Buffer.from(head), payload]));
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]);
  const json = text.slice(text.indexOf("\r\n\r\n") + 4);
  expect(text).not.toContain(SECRET);
  return { status, body: JSON.parse(json) as { error?: { message: string; exitCode: number } } };
}

const error = (message: string, exitCode = 2) => ({ error: { message, exitCode } });

describe("the API with bad requests", () => {
  beforeEach(() => start());

  it.each([
    ["GET", "/v1/nope", undefined, 404, error("no such endpoint: GET /v1/nope")],
    ["DELETE", "/v1/reconcile", undefined, 404, error("no such endpoint: DELETE /v1/reconcile")],
    ["GET", "/", undefined, 404, error("no such endpoint: GET /")],
    ["POST", "/v1/apps", "{not json", 400, null],
    ["POST", "/v1/apps", "null", 400, error("the request body must be a JSON object")],
    ["POST", "/v1/apps", "[1, 2]", 400, error("the request body must be a JSON object")],
    ["POST", "/v1/apps", '"text"', 400, error("the request body must be a JSON object")],
    ["POST", "/v1/apps", "{}", 400, error("expected { manifest: <yaml text>, file?: <name> }")],
    [
      "POST",
      "/v1/apps",
      JSON.stringify({ manifest: 42 }),
      400,
      error("expected { manifest: <yaml text>, file?: <name> }"),
    ],
    ["POST", "/v1/resurrect", "{}", 400, null],
    ["POST", "/v1/resurrect", JSON.stringify({ snapshot: { apps: "nope" } }), 400, null],
    ["GET", "/v1/apps/nope", undefined, 400, error("unknown app: nope")],
    ["POST", "/v1/apps/nope/start", undefined, 400, error("unknown app: nope")],
    ["DELETE", "/v1/apps/nope", undefined, 400, error("unknown app: nope")],
    ["POST", "/v1/apps/db/update", "[]", 400, error("the request body must be a JSON object")],
    [
      "POST",
      "/v1/apps/db/update",
      JSON.stringify({ to: 3 }),
      400,
      error("expected { to?: <image reference> }"),
    ],
    [
      "POST",
      "/v1/apps/db/update",
      JSON.stringify({ to: "-x" }),
      400,
      error(
        '--to "-x": expected an image reference (localhost/app:2.0), a tag of the same image (:2.0) or a digest (sha256:<64 hex>)',
      ),
    ],
    [
      "GET",
      "/v1/apps/%E0%A4%A",
      undefined,
      400,
      error("malformed percent-encoding in the request path"),
    ],
  ] as const)("%s %s %s: %i", async (method, path, body, status, expected) => {
    const answer = await request(method, path, body);
    expect(answer.status).toBe(status);
    if (expected) expect(answer.body).toEqual(expected);
    else expect(answer.body.error?.exitCode).toBe(2);
    expect(warnings).toEqual([]); // none of these is a bug
  });

  it("malformed JSON is a 400 naming JSON, never a bug with a stack", async () => {
    const answer = await request("POST", "/v1/apps", "{not json");
    expect(answer.body.error?.message).toMatch(/^the request body is not JSON: /);
    expect(answer.body.error?.message).not.toMatch(/\n\s+at /);
  });

  it.each([
    [
      "a bad field",
      manifest("web").replace("image: localhost/web:1", "image: --privileged"),
      [
        "web.yaml:6:12: app.container.image: must not start with '-' (expected an image reference such as localhost/app:1.0)",
      ],
    ],
    [
      "an alias bomb",
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n${manifest("web")}`,
      [
        'web.yaml:1:1: YAML aliases expand too much (more than 100 uses): refused as a resource exhaustion ("billion laughs")',
      ],
    ],
    [
      "a manifest over 1 MiB",
      `${manifest("web")}# ${"x".repeat(1024 * 1024)}\n`,
      [
        "web.yaml:1:1: the file is 1048706 bytes, more than the limit of 1048576 bytes (1 MiB) for one manifest",
      ],
    ],
  ])(
    "installing %s: 400, its errors by line and column, no secret",
    async (_name, text, errors) => {
      const answer = await request(
        "POST",
        "/v1/apps",
        JSON.stringify({ manifest: text, file: "web.yaml" }),
      );
      expect(answer).toEqual({ status: 400, body: error(errors.join("\n")) });
      expect(await readFile(join(root, "apps", "db.yaml"), "utf8")).toBe(manifest("db"));
    },
  );

  it("a body over the limit announced by its length: 413 at once, nothing read", async () => {
    const text = await raw(
      `POST /v1/apps HTTP/1.1\r\nhost: archy\r\ncontent-length: ${DEFAULT_API_LIMITS.maxBodyBytes + 1}\r\n\r\n{"manifest":`,
      /\r\n\r\n\{.*\}$/s,
    );
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toContain(
      JSON.stringify(error(`request body too large (the limit is ${4 * 1024 * 1024} bytes)`)),
    );
  });

  it("a chunked body that grows past the limit: 413, the connection closed, others answered", async () => {
    const socket = connect(socketPath);
    let text = "";
    socket.on("data", (d: Buffer) => (text += d.toString("utf8")));
    socket.on("error", () => undefined); // the server may close while this side still writes
    socket.write("POST /v1/apps HTTP/1.1\r\nhost: archy\r\ntransfer-encoding: chunked\r\n\r\n");
    const chunk = `100000\r\n${"x".repeat(0x100000)}\r\n`;
    const closed = new Promise((resolve) => socket.on("close", resolve));
    for (let i = 0; i < 6 && !socket.destroyed; i++) socket.write(chunk);
    await closed;
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect((await request("GET", "/v1/daemon")).status).toBe(200);
  });
});

describe("slow clients", () => {
  /** Writes one byte of `text` every `everyMs` until it is sent or the socket closes. */
  function drip(socket: Socket, text: string, everyMs: number): { finished: () => boolean } {
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= text.length) return clearInterval(timer);
      socket.write(text[i++]!);
    }, everyMs);
    socket.on("close", () => clearInterval(timer));
    return { finished: () => i >= text.length };
  }

  it("one sending its headers a byte at a time is cut off; the others are answered meanwhile", async () => {
    await start({ headersTimeoutMs: 400, requestTimeoutMs: 800 });
    const slow = connect(socketPath);
    let answer = "";
    slow.on("data", (d: Buffer) => (answer += d.toString("utf8")));
    const dripping = drip(
      slow,
      "GET /v1/daemon HTTP/1.1\r\nhost: archy\r\nx-slow: " + "y".repeat(1000),
      20,
    );
    // The server closes while this side still writes: an EPIPE here is expected.
    const writeErrors: string[] = [];
    slow.on("error", (e: NodeJS.ErrnoException) => writeErrors.push(e.code ?? e.message));
    const closed = new Promise((resolve) => slow.on("close", resolve));
    for (let i = 0; i < 20; i++) expect((await request("GET", "/v1/daemon")).status).toBe(200);
    await closed;
    // Cut off long before it was done: with a 408, or (when this side's next byte hit the
    // closed socket first) with the connection reset before the 408 was read.
    expect(dripping.finished()).toBe(false);
    expect(answer === "" || answer.startsWith("HTTP/1.1 408 ")).toBe(true);
    expect(writeErrors.filter((c) => c !== "EPIPE" && c !== "ECONNRESET")).toEqual([]);
  });

  it("one sending its body a byte at a time is cut off; the others are answered meanwhile", async () => {
    await start({ headersTimeoutMs: 400, requestTimeoutMs: 800 });
    const slow = connect(socketPath);
    let answer = "";
    slow.on("data", (d: Buffer) => (answer += d.toString("utf8")));
    const body = JSON.stringify({ manifest: manifest("web") });
    slow.write(`POST /v1/apps HTTP/1.1\r\nhost: archy\r\ncontent-length: ${body.length}\r\n\r\n`);
    const dripping = drip(slow, body, 20);
    // The server closes while this side still writes: an EPIPE here is expected.
    const writeErrors: string[] = [];
    slow.on("error", (e: NodeJS.ErrnoException) => writeErrors.push(e.code ?? e.message));
    const closed = new Promise((resolve) => slow.on("close", resolve));
    for (let i = 0; i < 20; i++) expect((await request("GET", "/v1/apps")).status).toBe(200);
    await closed;
    // Cut off long before it was done: with a 408, or (when this side's next byte hit the
    // closed socket first) with the connection reset before the 408 was read.
    expect(dripping.finished()).toBe(false);
    expect(answer === "" || answer.startsWith("HTTP/1.1 408 ")).toBe(true);
    expect(writeErrors.filter((c) => c !== "EPIPE" && c !== "ECONNRESET")).toEqual([]);
    expect(fake.containers.has("archy-web")).toBe(false);
  });
});

describe("event-stream clients", () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

  it("a thousand connect, get an event, and disconnect: no timer or client is left behind", async () => {
    await start();
    const before = timers();
    // All at once: the daemon's socket queues up to `backlog` connects (Node's default 511
    // answers part of a burst of 1000 with EAGAIN).
    const clients = await Promise.all(Array.from({ length: 1000 }, connectStream));
    async function connectStream() {
      const socket = connect(socketPath);
      let text = "";
      const greeted = new Promise<void>((resolve) =>
        socket.on("data", (d: Buffer) => {
          text += d.toString("utf8");
          if (text.includes(": archy events")) resolve();
        }),
      );
      socket.write("GET /v1/events HTTP/1.1\r\nhost: archy\r\n\r\n");
      await greeted;
      return { socket, text: () => text };
    }
    // With a thousand streams open, a request is answered.
    expect((await request("GET", "/v1/daemon")).status).toBe(200);
    // An event reaches every one of them (a pass publishes several).
    await reconciler.reconcileAll();
    await Promise.all(
      clients.map(async (c) => {
        while (!c.text().includes('"type":"pass"')) await once(c.socket, "data");
      }),
    );
    for (const c of clients) expect(c.text()).not.toContain(SECRET);
    expect(timers() - before).toBeGreaterThan(900); // a heartbeat each (other timers come and go)
    await Promise.all(
      clients.map(async (c) => {
        c.socket.destroy();
        await once(c.socket, "close");
      }),
    );
    // The server sees each close; its heartbeats go with them.
    for (let i = 0; i < 10_000 && timers() - before > 0; i++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(timers() - before).toBeLessThanOrEqual(0);
    await reconciler.reconcileAll(); // publishing to nobody is fine
    const count = await new Promise<number>((resolve, reject) =>
      server.getConnections((e, n) => (e ? reject(e) : resolve(n))),
    );
    expect(count).toBe(0);
  }, 60_000);

  it("one that stops reading is dropped once it has too much unread", async () => {
    await start({ maxUnreadEventBytes: 64 * 1024 });
    const socket = connect(socketPath);
    socket.write("GET /v1/events HTTP/1.1\r\nhost: archy\r\n\r\n");
    await once(socket, "data");
    socket.pause(); // reads nothing more: the socket's buffers fill, then the server's
    const connections = () =>
      new Promise<number>((resolve, reject) =>
        server.getConnections((e, n) => (e ? reject(e) : resolve(n))),
      );
    expect(await connections()).toBe(1);
    // Each pass publishes its report; 4,000 of them are megabytes the client never reads.
    let passes = 0;
    while ((await connections()) > 0 && passes < 4000) {
      await reconciler.reconcileAll();
      passes++;
    }
    expect(await connections()).toBe(0);
    expect(passes).toBeLessThan(4000);
    socket.destroy();
    expect((await request("GET", "/v1/daemon")).status).toBe(200);
  });
});
