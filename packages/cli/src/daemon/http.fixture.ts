// The fixture of the HTTP listener's tests (http.test.ts, http-api.test.ts):
// a real listener on 127.0.0.1:0, the socket's API handler with a real
// Reconciler on the fake runtime, a stub log source and stub page assets.
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Reconciler } from "@archy/reconciler";
import { FakeRuntime } from "@archy/runtime-podman/testing";
import { afterEach, beforeEach, expect } from "vitest";
import { createApiHandler, type ApiHandler } from "./api.js";
import { DEFAULT_API_LIMITS } from "./limits.js";
import { parseHttpAddress } from "./http-address.js";
import type { DashboardAsset } from "@archy/dashboard";
import { createHttpServer, listenHttp } from "./http.js";
import type { LogLine, LogSource } from "../log-source.js";
import { ensureToken, sessionFor, TokenFile, tokenPath } from "./token.js";

export const SECRET = "hunter2-http-s3cret";
const manifest = (id: string) =>
  `app:\n  id: ${id}\n  name: ${id}\n  version: "1"\n  container:\n    image: localhost/${id}:1\n    env: { DB_PASSWORD: ${SECRET} }\n`;

const asset = (path: string, contentType: string, text: string): DashboardAsset => ({
  path,
  contentType,
  body: Buffer.from(text),
  gzip: gzipSync(text),
  etag: `"${path.length}-etag"`,
});
export const PAGE = asset("/", "text/html; charset=utf-8", "<!doctype html><title>archy</title>");
export const SCRIPT = asset(
  "/assets/app-1234.js",
  "text/javascript; charset=utf-8",
  "console.log(1)",
);
const assets = (path: string) =>
  path === "/" || path === "/index.html" ? PAGE : path === SCRIPT.path ? SCRIPT : undefined;

/** The listener and what stands behind it, for the test running now. */
export const fx = {
  root: "",
  server: null as unknown as Server,
  port: 0,
  token: "",
  reconciler: null as unknown as Reconciler,
  fake: null as unknown as FakeRuntime,
  api: null as unknown as ApiHandler,
  /** What the stub log source yields. */
  logLines: [] as LogLine[],
  /** The signal of the stream the stub log source follows, once one is followed. */
  logFollowed: null as AbortSignal | null,
  warnings: [] as string[],
};

const logs: LogSource = async function* (_id, opts) {
  yield* fx.logLines.slice(opts.tail === undefined ? 0 : -opts.tail || fx.logLines.length);
  if (opts.follow) {
    fx.logFollowed = opts.signal;
    await once(opts.signal, "abort");
  }
};

/** A reconciler with one app (db) on the fake runtime, its API handler, the token, the listener. */
export async function start(limits = {}) {
  fx.fake = new FakeRuntime({ images: ["localhost/db:1"] });
  const apps = join(fx.root, "apps");
  await mkdir(apps);
  await writeFile(join(apps, "db.yaml"), manifest("db"));
  fx.reconciler = new Reconciler({
    runtime: fx.fake,
    manifestsDir: apps,
    stateDir: fx.root,
    startSettleMs: 0,
  });
  await fx.reconciler.reconcileAll();
  const log = { warn: (_o: object, m: string) => void fx.warnings.push(m) };
  fx.api = createApiHandler(
    { reconciler: fx.reconciler, info: () => ({ pid: 1 }), trigger: () => undefined, log, logs },
    { ...DEFAULT_API_LIMITS, ...limits },
  );
  fx.token = await ensureToken(fx.root);
  fx.server = createHttpServer(
    {
      address: parseHttpAddress("127.0.0.1:0"),
      tokens: new TokenFile(tokenPath(fx.root)),
      api: () => fx.api,
      assets,
      log,
    },
    { ...DEFAULT_API_LIMITS, ...limits },
  );
  fx.port = await listenHttp(fx.server, parseHttpAddress("127.0.0.1:0"));
}

/** A listener for each test (`beforeEach`), closed after it. */
export function useHttpListener(): void {
  beforeEach(async () => {
    fx.root = await mkdtemp(join(tmpdir(), "archy-http-"));
    fx.warnings.length = 0;
    fx.logLines = [];
    fx.logFollowed = null;
    await start();
  });
  afterEach(async () => {
    fx.api.close();
    fx.server.closeAllConnections();
    await new Promise((resolve) => fx.server.close(resolve));
    fx.fake.dispose();
    await rm(fx.root, { recursive: true, force: true });
  });
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: () => { error?: { message: string } } & Record<string, unknown>;
}

/** One request to the listener; `headers` may replace host. */
export function request(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: fx.port,
        method,
        path,
        headers: { host: `127.0.0.1:${fx.port}`, connection: "close", ...headers },
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

export const cookieOf = (t: string) => ({ cookie: `other=1; archy_session=${sessionFor(t)}` });
export const origin = () => ({ origin: `http://127.0.0.1:${fx.port}` });

/** The first `count` server-sent events of a stream, as [event name, data] pairs. */
export function sse(
  path: string,
  headers: Record<string, string>,
  count: number,
  onOpen?: () => void,
) {
  return new Promise<{ status: number; events: [string, string][] }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: fx.port,
        path,
        headers: { host: `127.0.0.1:${fx.port}`, ...headers },
      },
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

/** Closes the listener of the test (before `start` makes another). */
export async function stop(): Promise<void> {
  fx.api.close();
  fx.server.closeAllConnections();
  await new Promise((resolve) => fx.server.close(resolve));
  fx.fake.dispose();
  await rm(join(fx.root, "apps"), { recursive: true, force: true });
}
