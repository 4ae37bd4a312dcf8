import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReconcilerEvent } from "@archy/reconciler";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DaemonClient } from "./client.js";
import { createApiServer, type ApiReconciler } from "./daemon/api.js";

// The client against the daemon's own API server (its SSE handler), with a
// reconciler stand-in that only publishes events.

let root: string;
let socketPath: string;
let server: Server | null = null;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-client-api-"));
  socketPath = join(root, "archy.sock");
});
afterEach(async () => {
  server?.closeAllConnections();
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = null;
  await rm(root, { recursive: true, force: true });
});

async function listen(s: Server): Promise<void> {
  server = s;
  s.listen(socketPath);
  await once(s, "listening");
}

describe("DaemonClient.subscribe with the daemon's API server", () => {
  it("an event published right after subscribe() resolves arrives", async () => {
    const listeners = new Set<(e: ReconcilerEvent) => void>();
    const notUsed = (): never => {
      throw new Error("not used by this test");
    };
    const reconciler: ApiReconciler = {
      subscribe(fn: (e: ReconcilerEvent) => void) {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
      status: notUsed,
      appStatus: notUsed,
      orphans: notUsed,
      getManifestErrors: notUsed,
      notices: notUsed,
      start: notUsed,
      stop: notUsed,
      restart: notUsed,
      update: notUsed,
      unblockUpdates: notUsed,
      install: notUsed,
      remove: notUsed,
      resurrect: notUsed,
      reconcileAll: notUsed,
      plan: notUsed,
      snapshotState: notUsed,
    };
    await listen(
      createApiServer({ reconciler, info: () => ({}), trigger: () => undefined, log: console }),
    );
    const client = new DaemonClient(socketPath);
    const ac = new AbortController();
    for (let round = 0; round < 20; round++) {
      const stream = (await client.subscribe(ac.signal))[Symbol.asyncIterator]();
      const event: ReconcilerEvent = { type: "wake", reason: `round ${round}`, at: "now" };
      for (const fn of listeners) fn(event);
      expect((await stream.next()).value).toEqual(event);
      await stream.return?.();
    }
    ac.abort();
  });
});
