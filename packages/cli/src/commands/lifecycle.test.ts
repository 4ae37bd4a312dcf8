import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TRANSITIONAL_PHASES } from "@archy/reconciler";
import { createContext, type Context } from "../context.js";
import { run, TRANSITIONAL } from "./lifecycle.js";

const app = (phase: string) => ({
  app: {
    id: "web",
    desired: "running",
    phase,
    health: "none",
    restarts: 0,
    lastError: null,
    stopReason: null,
    image: "localhost/web:1",
  },
});

/**
 * A daemon stand-in on the context's socket. Its event stream accepts a
 * subscription only after `acceptAfterMs`; an operation publishes the app's
 * final phase on every accepted stream before it even answers 202, the
 * fastest a daemon could be.
 */
async function fakeDaemon(ctx: Context, acceptAfterMs: number) {
  const subscribers = new Set<ServerResponse>();
  const operations: { subscribers: number }[] = [];
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.url === "/v1/daemon") return json(200, { pid: 1 });
    if (req.url === "/v1/events") {
      setTimeout(() => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(": archy events\n\n");
        subscribers.add(res);
      }, acceptAfterMs);
      req.on("close", () => subscribers.delete(res));
      return;
    }
    if (req.method === "POST" && (req.url === "/v1/apps/web/start" || req.url === "/v1/apps")) {
      req.resume();
      operations.push({ subscribers: subscribers.size });
      const event = { type: "phase", app: "web", phase: "running", previous: "starting" };
      for (const s of subscribers) s.write(`data: ${JSON.stringify(event)}\n\n`);
      // Let the event reach the client before the answer does.
      setTimeout(() => json(202, app("starting")), 20);
      return;
    }
    if (req.url === "/v1/apps/web") return json(200, app("running"));
    json(404, { error: { message: "no such endpoint", exitCode: 2 } });
  });
  server.listen(ctx.socketPath);
  await once(server, "listening");
  return { server, operations };
}

let root: string;
let ctx: Context;
let server: Server | null = null;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-lifecycle-"));
  ctx = createContext({ stateDir: join(root, "state"), manifests: join(root, "apps"), json: true });
  await mkdir(ctx.stateDir, { recursive: true });
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(async () => {
  vi.restoreAllMocks();
  server?.closeAllConnections();
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = null;
  await rm(root, { recursive: true, force: true });
});

describe("lifecycle through the daemon", () => {
  it("asks only once the daemon has accepted the event subscription, however late that is", async () => {
    const daemon = await fakeDaemon(ctx, 150);
    server = daemon.server;
    expect(await run(ctx, { op: "start", target: "web", wait: true })).toBe(0);
    expect(daemon.operations).toEqual([{ subscribers: 1 }]);
  });

  it("install: a final phase that arrives before the answer naming the app still counts", async () => {
    const daemon = await fakeDaemon(ctx, 0);
    server = daemon.server;
    const file = join(root, "web.yaml");
    await writeFile(file, "app: web\n");
    expect(await run(ctx, { op: "install", target: file, wait: true })).toBe(0);
    expect(daemon.operations).toEqual([{ subscribers: 1 }]);
  });

  it("--no-wait does not subscribe", async () => {
    const daemon = await fakeDaemon(ctx, 0);
    server = daemon.server;
    expect(await run(ctx, { op: "start", target: "web", wait: false })).toBe(0);
    expect(daemon.operations).toEqual([{ subscribers: 0 }]);
  });
});

describe("the daemon going away during an operation", () => {
  /** Answers the operation with its transitional phase, then dies before the final status. */
  async function dyingDaemon() {
    const server: Server = createServer((req, res) => {
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      if (req.url === "/v1/daemon") return json(200, { pid: 1 });
      if (req.url === "/v1/events") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(": archy events\n\n");
        return;
      }
      req.resume();
      json(202, app("starting"));
      // Killed: the socket goes, every connection with it.
      setTimeout(() => {
        server.close();
        server.closeAllConnections();
      }, 20);
    });
    server.listen(ctx.socketPath);
    await once(server, "listening");
    return server;
  }

  it("after the acknowledgement: exit 1 saying the next daemon carries the operation out, no stack", async () => {
    server = await dyingDaemon();
    const error = await run(ctx, { op: "start", target: "web", wait: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      name: "CliError",
      exitCode: 1,
      message: expect.stringMatching(
        /^the daemon went away \(E[A-Z]+\) before start web finished; it was acknowledged, and the next daemon carries it out/,
      ),
    });
  });
});

describe("TRANSITIONAL", () => {
  it("waits through exactly the phases the reconciler calls transitional", () => {
    const waited = Object.entries(TRANSITIONAL).flatMap(([phase, wait]) => (wait ? [phase] : []));
    expect(waited.sort()).toEqual([...TRANSITIONAL_PHASES].sort());
  });
});
