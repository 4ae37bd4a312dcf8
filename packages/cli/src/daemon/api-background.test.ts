// The operations the API answers at once (202) and carries on in the
// background: when that background work fails, nobody is left waiting for
// it, so the daemon's log is the only place the failure can go. Every one of
// the five (start, stop, restart, install, remove) logs it the same way.
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { request, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AppStatus } from "@archy/reconciler";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiServer, type ApiReconciler } from "./api.js";

let root: string;
let socketPath: string;
let server: Server;
const warnings: { obj: object; msg: string }[] = [];

const status = (id: string, phase: string) => ({ id, phase }) as unknown as AppStatus;

/**
 * A reconciler whose operations are accepted (a transitional status at once)
 * and whose background work then fails with `boom <op> <app>`: the way a
 * Reconciler's handle rejects when its queue's work breaks outside the
 * operation's own error handling.
 */
function failingReconciler(): ApiReconciler {
  const handle = (op: string, id: string, phase: string) => ({
    status: status(id, phase),
    done: Promise.reject(new Error(`boom ${op} ${id}`)),
  });
  const stub: Partial<ApiReconciler> = {
    subscribe: () => () => undefined,
    start: async (id) => handle("start", id, "starting"),
    stop: async (id) => handle("stop", id, "stopping"),
    restart: async (id) => handle("restart", id, "restarting"),
    install: async () => handle("install", "web", "installing"),
    remove: async (id) => handle("remove", id, "removing"),
  };
  return stub as ApiReconciler;
}

async function call(method: string, path: string, body?: unknown) {
  const payload = body === undefined ? "" : JSON.stringify(body);
  const req = request({
    socketPath,
    method,
    path,
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
  });
  req.end(payload);
  const [res] = (await once(req, "response")) as [IncomingMessage];
  let text = "";
  for await (const chunk of res) text += String(chunk);
  return { status: res.statusCode, body: JSON.parse(text) as { app: AppStatus } };
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-api-background-"));
  socketPath = join(root, "archy.sock");
  warnings.length = 0;
  server = createApiServer({
    reconciler: failingReconciler(),
    info: () => ({ pid: 1 }),
    trigger: () => undefined,
    log: { warn: (obj, msg) => void warnings.push({ obj, msg }) },
  });
  server.listen({ path: socketPath });
  await once(server, "listening");
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

describe("an operation whose background work fails", () => {
  it.each([
    ["start", "POST", "/v1/apps/web/start", undefined, "starting"],
    ["stop", "POST", "/v1/apps/web/stop", undefined, "stopping"],
    ["restart", "POST", "/v1/apps/web/restart", undefined, "restarting"],
    ["install", "POST", "/v1/apps", { manifest: "app: {}\n" }, "installing"],
    ["remove", "DELETE", "/v1/apps/web?purge=true", undefined, "removing"],
  ] as const)("%s: answered 202, the failure logged", async (op, method, path, body, phase) => {
    const answer = await call(method, path, body);
    expect(answer).toEqual({ status: 202, body: { app: { id: "web", phase } } });
    // The handle's rejection is handled in the microtasks after the answer was
    // written, well before the client has read it.
    expect(warnings).toEqual([
      { obj: { app: "web", err: `Error: boom ${op} web` }, msg: `${op} failed` },
    ]);
  });
});
