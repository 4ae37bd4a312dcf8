import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AppAnswer, AppStatus, Phase, PhaseEvent } from "@archy/reconciler/api";
import { createContext, type Context } from "../context.js";
import { exitCode, run } from "./lifecycle.js";

const AT = "2026-12-07T12:00:00.000Z";

const status = (phase: Phase, over: Partial<AppStatus> = {}): AppStatus => ({
  id: "web",
  name: "Web",
  version: "1",
  image: "localhost/web:1",
  dependsOn: [],
  desired: "running",
  phase,
  health: null,
  restarts: 0,
  stopReason: null,
  lastError: null,
  lastErrorCode: null,
  since: AT,
  nextRetryAt: null,
  container: null,
  ...over,
});

const app = (phase: Phase, over: Partial<AppStatus> = {}): AppAnswer => ({
  app: status(phase, over),
});

/** podman gone while stopping: the reconciler reverts the phase and keeps the error's code. */
const PODMAN_GONE = {
  lastError: "podman is unavailable (/nonexistent/podman: not found)",
  lastErrorCode: "EPODMANUNAVAILABLE",
} satisfies Partial<AppStatus>;

/**
 * A daemon stand-in on the context's socket. Its event stream accepts a
 * subscription only after `acceptAfterMs`; an operation publishes the app's
 * final phase on every accepted stream before it even answers 202, the
 * fastest a daemon could be.
 */
async function fakeDaemon(
  ctx: Context,
  acceptAfterMs: number,
  outcome: { op: "start" | "stop"; final: AppStatus } = { op: "start", final: status("running") },
) {
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
    if (
      req.method === "POST" &&
      (req.url === `/v1/apps/web/${outcome.op}` || req.url === "/v1/apps")
    ) {
      req.resume();
      operations.push({ subscribers: subscribers.size });
      const transitional = outcome.op === "start" ? "starting" : "stopping";
      const { final } = outcome;
      const event: PhaseEvent = {
        type: "phase",
        app: "web",
        phase: final.phase,
        previous: transitional,
        stopReason: final.stopReason,
        ...(final.lastError ? { error: final.lastError } : {}),
        ...(final.lastErrorCode ? { errorCode: final.lastErrorCode } : {}),
        at: AT,
      };
      for (const s of subscribers) s.write(`data: ${JSON.stringify(event)}\n\n`);
      // Let the event reach the client before the answer does.
      setTimeout(() => json(202, app(transitional)), 20);
      return;
    }
    if (req.url === "/v1/apps/web") return json(200, { app: outcome.final } satisfies AppAnswer);
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

  it("a stop that failed because podman is gone exits 4 and prints the daemon's error", async () => {
    const lines = captureStdout();
    const daemon = await fakeDaemon(ctx, 0, {
      op: "stop",
      final: status("running", PODMAN_GONE),
    });
    server = daemon.server;
    expect(await run(ctx, { op: "stop", target: "web", wait: true })).toBe(4);
    const final = JSON.parse(lines().at(-1)!) as { app: AppStatus; final: boolean };
    expect(final).toMatchObject({ final: true, app: { phase: "running", ...PODMAN_GONE } });
  });

  it("a stop that failed for another reason exits 1", async () => {
    const daemon = await fakeDaemon(ctx, 0, {
      op: "stop",
      final: status("running", {
        lastError: "podman stop: exit 125",
        lastErrorCode: "EPODMANCOMMAND",
      }),
    });
    server = daemon.server;
    expect(await run(ctx, { op: "stop", target: "web", wait: true })).toBe(1);
  });
});

describe("without a daemon", () => {
  it.each(["stop", "start", "restart"] as const)(
    "%s with a podman that does not exist exits 4, naming podman",
    async (op) => {
      const env = { ...process.env, ARCHY_PODMAN: join(root, "no-such-podman") };
      ctx = createContext({ stateDir: ctx.stateDir, manifests: ctx.manifestsDir, json: true }, env);
      await mkdir(ctx.manifestsDir, { recursive: true });
      await writeFile(
        join(ctx.manifestsDir, "web.yaml"),
        'app:\n  id: web\n  name: Web\n  version: "1"\n  container:\n    image: localhost/web:1\n',
      );
      const lines = captureStdout();
      expect(await run(ctx, { op, target: "web", wait: true })).toBe(4);
      const final = JSON.parse(lines().at(-1)!) as { app: AppStatus; final: boolean };
      expect(final.final).toBe(true);
      expect(final.app.lastErrorCode).toBe("EPODMANUNAVAILABLE");
      expect(final.app.lastError).toMatch(/podman/);
    },
  );
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

describe("exitCode", () => {
  it("0 when the operation reached its phase; a stop's earlier error does not count", () => {
    expect(exitCode("start", status("running"))).toBe(0);
    expect(exitCode("stop", status("stopped", PODMAN_GONE))).toBe(0);
  });

  it("4 when the error's code says podman is missing or does not answer (SPEC section 6)", () => {
    for (const op of ["start", "stop", "restart"] as const) {
      const phase = op === "stop" ? "running" : "stopped";
      expect(exitCode(op, status(phase, PODMAN_GONE))).toBe(4);
      expect(
        exitCode(
          op,
          status(phase, { lastError: "podman timed out", lastErrorCode: "EPODMANTIMEOUT" }),
        ),
      ).toBe(4);
    }
  });

  it("1 for a failure without a code of its own, or without a code at all", () => {
    const failed = (lastErrorCode: string | null) =>
      status("failed", { lastError: "the container exited at once", lastErrorCode });
    expect(exitCode("start", failed("ESTARTFAILED"))).toBe(1);
    expect(exitCode("start", failed(null))).toBe(1);
    expect(exitCode("restart", status("backoff"))).toBe(1);
  });
});

/** The lines written to stdout from now on (the test's stdout spy is replaced). */
function captureStdout(): () => string[] {
  let text = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  return () => text.split("\n").filter(Boolean);
}
