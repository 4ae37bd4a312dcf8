import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ContainerNotFoundError,
  EventStreamError,
  ImageNotFoundError,
  PodmanCommandError,
  PodmanTimeoutError,
} from "./errors.js";
import { FakeRuntime } from "./fake.js";
import type { ContainerEvent, ContainerSpec } from "./types.js";

const spec: ContainerSpec = {
  name: "archy-web",
  image: "localhost/web:1",
  labels: { "io.archy.app": "web" },
};

async function collect(it: AsyncIterable<ContainerEvent>, into: ContainerEvent[]): Promise<void> {
  for await (const e of it) into.push(e);
}

describe("FakeRuntime", () => {
  let fake: FakeRuntime;
  beforeEach(() => {
    fake = new FakeRuntime({
      images: ["localhost/web:1"],
      registry: ["docker.io/library/db:1"],
      now: () => Date.UTC(2026, 0, 1),
    });
  });
  afterEach(() => fake.dispose());

  it("creates, starts, lists, stops and removes, recording every call", async () => {
    const id = await fake.createContainer(spec);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect((await fake.getContainerStatus("archy-web"))?.state).toBe("created");
    await fake.startContainer("archy-web");
    const [status] = await fake.listContainers({ labels: { "io.archy.app": "web" } });
    expect(status).toMatchObject({
      name: "archy-web",
      state: "running",
      startedAt: "2026-01-01T00:00:00.000Z",
      exitCode: null,
    });
    expect(await fake.listContainers({ labels: { "io.archy.app": "db" } })).toEqual([]);
    expect(await fake.stopContainer("archy-web")).toEqual({ killed: false });
    expect(await fake.getContainerStatus("archy-web")).toMatchObject({
      state: "exited",
      exitCode: 143,
    });
    await fake.removeContainer("archy-web");
    expect(await fake.getContainerStatus("archy-web")).toBeNull();
    expect(fake.calls.map((c) => c.method)).toEqual([
      "createContainer",
      "getContainerStatus",
      "startContainer",
      "listContainers",
      "listContainers",
      "stopContainer",
      "getContainerStatus",
      "removeContainer",
      "getContainerStatus",
    ]);
    expect(fake.mutatingCalls().map((c) => c.method)).toEqual([
      "createContainer",
      "startContainer",
      "stopContainer",
      "removeContainer",
    ]);
  });

  it("behaves like podman on errors: name in use, missing image, unknown container, running remove", async () => {
    await fake.createContainer(spec);
    await expect(fake.createContainer(spec)).rejects.toThrow(/already in use/);
    await expect(
      fake.createContainer({ ...spec, name: "x", image: "localhost/none:1" }),
    ).rejects.toBeInstanceOf(ImageNotFoundError);
    await expect(fake.startContainer("nope")).rejects.toBeInstanceOf(ContainerNotFoundError);
    await fake.startContainer("archy-web");
    await expect(fake.removeContainer("archy-web")).rejects.toBeInstanceOf(PodmanCommandError);
    await fake.removeContainer("archy-web", { force: true });
  });

  it("pulls only what the registry has; builds give a new image id", async () => {
    await expect(fake.pullImage("docker.io/library/nope:1")).rejects.toBeInstanceOf(
      ImageNotFoundError,
    );
    await fake.pullImage("docker.io/library/db:1");
    expect(await fake.imageExists("docker.io/library/db:1")).toBe(true);
    const before = await fake.imageId("localhost/web:1");
    await fake.buildImage({ context: "/x", tag: "localhost/web:1" });
    expect(await fake.imageId("localhost/web:1")).not.toBe(before);
    expect(await fake.imageId("localhost/other:1")).toBeNull();
  });

  it("emits the events a real podman emits", async () => {
    const ac = new AbortController();
    const events: ContainerEvent[] = [];
    const done = collect(fake.events({ signal: ac.signal }), events);
    await fake.createContainer(spec);
    await fake.startContainer("archy-web");
    fake.crash("archy-web", 137);
    await fake.removeContainer("archy-web");
    await new Promise((r) => setTimeout(r, 0));
    ac.abort();
    await done;
    expect(events.map((e) => e.status)).toEqual([
      "create",
      "init",
      "start",
      "died",
      "cleanup",
      "remove",
    ]);
    expect(events[3]).toMatchObject({
      name: "archy-web",
      exitCode: 137,
      labels: { "io.archy.app": "web" },
    });
  });

  it("a broken event stream throws EventStreamError", async () => {
    const events: ContainerEvent[] = [];
    const done = collect(fake.events(), events);
    fake.breakEvents();
    await expect(done).rejects.toBeInstanceOf(EventStreamError);
  });

  it("scripted failures hit the given call, the given number of times", async () => {
    fake.failNext("startContainer", undefined, { times: 2, match: (name) => name === "archy-web" });
    await fake.createContainer(spec);
    await expect(fake.startContainer("archy-web")).rejects.toThrow(/scripted failure/);
    await expect(fake.startContainer("archy-web")).rejects.toThrow(/scripted failure/);
    await fake.startContainer("archy-web");
    expect((await fake.getContainerStatus("archy-web"))?.state).toBe("running");
  });

  it("scripted hangs never answer, or time out like podman", async () => {
    vi.useFakeTimers();
    try {
      fake.hangNext("listContainers", { rejectAfterMs: 5_000 });
      const p = fake.listContainers();
      const settled = vi.fn();
      p.then(settled, settled);
      await vi.advanceTimersByTimeAsync(4_999);
      expect(settled).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1);
      await expect(p).rejects.toBeInstanceOf(PodmanTimeoutError);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a started container can exit after N ms", async () => {
    vi.useFakeTimers();
    try {
      fake.setBehaviour("archy-web", { exitAfterMs: 300, exitCode: 2 });
      await fake.createContainer(spec);
      await fake.startContainer("archy-web");
      await vi.advanceTimersByTimeAsync(299);
      expect((await fake.getContainerStatus("archy-web"))?.state).toBe("running");
      await vi.advanceTimersByTimeAsync(1);
      expect(await fake.getContainerStatus("archy-web")).toMatchObject({
        state: "exited",
        exitCode: 2,
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it("a started container can exit after N observations", async () => {
    fake.setBehaviour("archy-web", { exitAfterChecks: 2 });
    await fake.createContainer(spec);
    await fake.startContainer("archy-web");
    expect((await fake.getContainerStatus("archy-web"))?.state).toBe("running");
    expect((await fake.getContainerStatus("archy-web"))?.state).toBe("running");
    expect(await fake.getContainerStatus("archy-web")).toMatchObject({
      state: "exited",
      exitCode: 1,
    });
  });

  it("health follows the scripted sequence, the last result repeating", async () => {
    fake.setBehaviour("archy-web", { health: ["unhealthy", "healthy"] });
    await fake.createContainer({ ...spec, healthcheck: { cmd: ["true"] } });
    await expect(fake.runHealthcheck("archy-web")).rejects.toThrow(/not running/);
    await fake.startContainer("archy-web");
    expect((await fake.getContainerStatus("archy-web"))?.health).toBe("starting");
    expect(await fake.runHealthcheck("archy-web")).toBe("unhealthy");
    expect(await fake.runHealthcheck("archy-web")).toBe("healthy");
    expect(await fake.runHealthcheck("archy-web")).toBe("healthy");
    expect((await fake.getContainerStatus("archy-web"))?.health).toBe("healthy");
  });

  it("a SIGTERM-ignoring container is killed on stop", async () => {
    fake.setBehaviour("archy-web", { ignoreSigterm: true });
    await fake.createContainer(spec);
    await fake.startContainer("archy-web");
    expect(await fake.stopContainer("archy-web", { timeoutSeconds: 1 })).toEqual({ killed: true });
    expect((await fake.getContainerStatus("archy-web"))?.exitCode).toBe(137);
  });

  it("wedged and unmanaged containers can be put in place", async () => {
    fake.addContainer({ name: "paused-one", image: "localhost/web:1" }, "paused");
    fake.addContainer({ name: "never-started", image: "localhost/web:1" }, "created");
    const states = (await fake.listContainers()).map((c) => [c.name, c.state]);
    expect(states).toEqual([
      ["paused-one", "paused"],
      ["never-started", "created"],
    ]);
  });
});
