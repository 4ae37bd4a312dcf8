// GET /v1/apps/:id/logs on the unix socket, and the log source over the
// runtime: the lines as events, the end, errors, secrets shown as ***, the
// limit on open streams, podman's follow ended when the client goes away.
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AppManifest } from "@archy/reconciler";
import { ContainerNotFoundError } from "@archy/runtime-podman";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiServer, type ApiReconciler } from "./api.js";
import { DEFAULT_API_LIMITS } from "./limits.js";
import { createLogSource, type LogSource } from "../log-source.js";

const SECRET = "hunter2-logs-s3cret";

let root: string;
let socketPath: string;
let server: Server | null = null;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-logs-"));
  socketPath = join(root, "archy.sock");
});
afterEach(async () => {
  server?.closeAllConnections();
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = null;
  await rm(root, { recursive: true, force: true });
});

const app = {
  id: "db",
  container: { env: { DB_PASSWORD: SECRET, MODE: "prod" } },
} as unknown as AppManifest;

async function serve(logs: LogSource, maxLogStreams = DEFAULT_API_LIMITS.maxLogStreams) {
  const reconciler = {
    subscribe: () => () => undefined,
    appStatus: async (id: string) => {
      if (id !== "db")
        throw Object.assign(new Error(`unknown app: ${id}`), { code: "EUNKNOWNAPP" });
      return {};
    },
  } as unknown as ApiReconciler;
  server = createApiServer(
    { reconciler, info: () => ({}), trigger: () => undefined, log: console, logs },
    { ...DEFAULT_API_LIMITS, maxLogStreams },
  );
  server.listen(socketPath);
  await once(server, "listening");
}

/** A request on the socket; the raw answer until the daemon ends it (or `until` matches, then the socket is left open). */
function raw(path: string, until?: RegExp): Promise<{ text: string; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let text = "";
    socket.on("data", (d: Buffer) => {
      text += d.toString();
      if (until?.test(text)) resolve({ text, socket });
    });
    socket.on("close", () => resolve({ text, socket }));
    socket.write(`GET ${path} HTTP/1.1\r\nhost: archy\r\nconnection: close\r\n\r\n`);
  });
}

describe("GET /v1/apps/:id/logs on the socket", () => {
  it("an error reading the log (no container) ends the stream with event: end and the error", async () => {
    await serve(
      createLogSource(
        {
          getContainerLogs: async (name) => {
            throw new ContainerNotFoundError(name);
          },
          followContainerLogs: () => {
            throw new Error("not used");
          },
        },
        () => [app],
      ),
    );
    const { text } = await raw("/v1/apps/db/logs");
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toContain("content-type: text/event-stream");
    expect(text).toContain(
      `event: end\ndata: ${JSON.stringify({ error: { message: "app db has no container (archy-db)", exitCode: 1 } })}\n\n`,
    );
  });

  it("lines with a secret value of the app's env show *** (SPEC section 8), the runtime's tail passed on", async () => {
    const calls: unknown[] = [];
    await serve(
      createLogSource(
        {
          getContainerLogs: async (name, opts) => {
            calls.push([name, opts]);
            return [`connecting with ${SECRET}`, "MODE=prod", ""];
          },
          followContainerLogs: () => {
            throw new Error("not used");
          },
        },
        () => [app],
      ),
    );
    const { text } = await raw("/v1/apps/db/logs?tail=3");
    expect(calls).toEqual([["archy-db", { tail: 3 }]]);
    expect(text).not.toContain(SECRET);
    const events = text.slice(text.indexOf("\r\n\r\n") + 4);
    expect(events).toContain('data: {"line":"connecting with ***","stream":"stdout"}');
    expect(events).toContain('data: {"line":"MODE=prod","stream":"stdout"}');
    expect(events).toContain('data: {"line":"","stream":"stdout"}');
    expect(events).toContain("event: end\ndata: {}\n\n");
    expect(events.indexOf("event: end")).toBeGreaterThan(events.lastIndexOf("event: line"));
  });

  it("followed: podman's follow is aborted when the client goes away", async () => {
    let signal: AbortSignal | undefined;
    await serve(
      createLogSource(
        {
          getContainerLogs: () => {
            throw new Error("not used");
          },
          followContainerLogs: async function* (_name, opts) {
            signal = opts?.signal;
            yield "first";
            await once(signal!, "abort");
          },
        },
        () => [app],
      ),
    );
    const { socket } = await raw("/v1/apps/db/logs?follow=true", /"first"/);
    expect(signal?.aborted).toBe(false);
    socket.destroy();
    await once(signal!, "abort");
  });

  it("one more stream than maxLogStreams: 503 until one closes", async () => {
    const hang: LogSource = async function* (_id, { signal }) {
      yield { line: "x", stream: "stdout" };
      await once(signal, "abort");
    };
    await serve(hang, 1);
    const first = await raw("/v1/apps/db/logs?follow=true", /"x"/);
    const second = await raw("/v1/apps/db/logs?follow=true");
    expect(second.text).toMatch(/^HTTP\/1\.1 503 /);
    expect(second.text).toContain(
      "1 log streams are open, the most the daemon serves at once: close one",
    );
    first.socket.destroy();
    await once(first.socket, "close");
    // The daemon sees the close on its side too; then a stream is served again.
    let third = await raw("/v1/apps/db/logs?follow=true", /"x"|503/);
    for (let i = 0; i < 50 && third.text.includes(" 503 "); i++)
      third = await raw("/v1/apps/db/logs?follow=true", /"x"|503/);
    expect(third.text).toMatch(/^HTTP\/1\.1 200 /);
    third.socket.destroy();
  });

  it("no log source: 404", async () => {
    server = createApiServer({
      reconciler: {
        subscribe: () => () => undefined,
        appStatus: async () => ({}),
      } as unknown as ApiReconciler,
      info: () => ({}),
      trigger: () => undefined,
      log: console,
    });
    server.listen(socketPath);
    await once(server, "listening");
    const { text } = await raw("/v1/apps/db/logs");
    expect(text).toMatch(/^HTTP\/1\.1 404 /);
  });
});
