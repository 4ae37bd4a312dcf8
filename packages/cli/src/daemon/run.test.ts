// The daemon run in process, on the fake runtime: what it adds to the
// process (its SIGTERM and SIGINT handlers) goes away when it stops, so a
// test or an embedder can run it again and again without piling handlers up.
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PodmanRuntime } from "@archy/runtime-podman";
import { FakeRuntime } from "@archy/runtime-podman/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Context } from "../context.js";
import { Output } from "../output.js";
import { runDaemon } from "./run.js";

let root: string;
let fake: FakeRuntime;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-run-"));
  await mkdir(join(root, "apps"));
  fake = new FakeRuntime();
});
afterEach(async () => {
  fake.dispose();
  await rm(root, { recursive: true, force: true });
});

function context(): Context {
  const stateDir = join(root, "state");
  return {
    stateDir,
    manifestsDir: join(root, "apps"),
    configFile: join(root, "archy.yaml"),
    configNamed: false,
    socketPath: join(stateDir, "archy.sock"),
    json: false,
    quiet: true,
    out: new Output({ json: false, quiet: true }),
    // The daemon asks only for what ContainerRuntime has, which the fake implements.
    runtime: () => fake as unknown as PodmanRuntime,
  };
}

/** The handler `sig` has now that it did not have in `before`. */
function added(sig: NodeJS.Signals, before: readonly unknown[]): () => void {
  const fresh = process.listeners(sig).filter((l) => !before.includes(l));
  expect(fresh).toHaveLength(1);
  return fresh[0] as () => void;
}

/** One daemon, in process, from its start to the stop its SIGTERM handler asks for. */
async function startAndStop(): Promise<void> {
  const term = process.listeners("SIGTERM");
  const int = process.listeners("SIGINT");
  const running = runDaemon(context(), { intervalMs: 60_000 });
  // The handlers are added once the socket listens, after the first observation began.
  await vi.waitFor(() => expect(process.listenerCount("SIGTERM")).toBe(term.length + 1));
  expect(process.listenerCount("SIGINT")).toBe(int.length + 1);
  added("SIGINT", int); // one each, and only one
  added("SIGTERM", term)(); // what a real SIGTERM would call
  await expect(running).resolves.toBe(0);
  expect(process.listenerCount("SIGTERM")).toBe(term.length);
  expect(process.listenerCount("SIGINT")).toBe(int.length);
}

describe("runDaemon in process", () => {
  it("removes its SIGTERM and SIGINT handlers when it stops, run after run", async () => {
    const term = process.listenerCount("SIGTERM");
    const int = process.listenerCount("SIGINT");
    await startAndStop();
    await startAndStop();
    expect(process.listenerCount("SIGTERM")).toBe(term);
    expect(process.listenerCount("SIGINT")).toBe(int);
  });

  it("a pass that finds a container started outside archy writes it into the snapshot (no phase changed)", async () => {
    const term = process.listeners("SIGTERM");
    const running = runDaemon(context(), { intervalMs: 100 });
    await vi.waitFor(() => expect(process.listenerCount("SIGTERM")).toBe(term.length + 1));
    const snapshot = async () =>
      (
        JSON.parse(await readFile(join(root, "state", "snapshot.json"), "utf8")) as {
          data: { containers: { name: string }[] };
        }
      ).data.containers.map((c) => c.name);
    try {
      await vi.waitFor(async () => expect(await snapshot()).toEqual([]), { timeout: 5_000 });
      fake.addContainer({ name: "outsider", image: "localhost/other:1", labels: {} }, "running");
      await vi.waitFor(async () => expect(await snapshot()).toEqual(["outsider"]), {
        timeout: 5_000,
      });
    } finally {
      added("SIGTERM", term)();
      await running;
    }
  });
});
