import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ContainerNotFoundError,
  EventStreamError,
  ImageNotFoundError,
  InvalidArgumentError,
  PodmanCommandError,
  PodmanTimeoutError,
} from "../errors.js";
import { FakeRuntime } from "./fake.js";
import type { ContainerEvent, ContainerSpec } from "../types.js";
import { VirtualClock } from "../clock/virtual-clock.js";

const spec: ContainerSpec = {
  name: "archy-web",
  image: "localhost/web:1",
  labels: { "io.archy.app": "web" },
};

async function collect(it: AsyncIterable<ContainerEvent>, into: ContainerEvent[]): Promise<void> {
  for await (const e of it) into.push(e);
}

describe("FakeRuntime", () => {
  let clock: VirtualClock;
  let fake: FakeRuntime;
  beforeEach(() => {
    clock = new VirtualClock(Date.UTC(2026, 0, 1));
    fake = new FakeRuntime({
      images: ["localhost/web:1"],
      registry: ["docker.io/library/db:1"],
      clock,
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
    await clock.advance(0);
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

  it("a stream opened with since first replays the events from then on, as podman's --since", async () => {
    await fake.createContainer(spec);
    await clock.advance(1_000);
    const since = clock.now();
    await fake.startContainer("archy-web");
    fake.crash("archy-web", 137);
    const ac = new AbortController();
    const events: ContainerEvent[] = [];
    const done = collect(fake.events({ signal: ac.signal, since }), events);
    await fake.removeContainer("archy-web");
    await clock.advance(0);
    ac.abort();
    await done;
    expect(events.map((e) => e.status)).toEqual(["init", "start", "died", "cleanup", "remove"]);
  });

  it("publish, pull, rename, tag and rmi as podman: a pull moves the tag, the old image stays by id until unused", async () => {
    const old = fake.publish("reg.lan/web:1");
    await fake.pullImage("reg.lan/web:1");
    expect(await fake.imageId("reg.lan/web:1")).toBe(old);
    await fake.createContainer({ ...spec, image: "reg.lan/web:1" });
    await fake.startContainer("archy-web");
    const fresh = fake.publish("reg.lan/web:1");
    await fake.pullImage("reg.lan/web:1");
    expect(await fake.imageId("reg.lan/web:1")).toBe(fresh);
    await fake.renameContainer("archy-web", "archy-web.prev");
    expect(await fake.getContainerStatus("archy-web.prev")).toMatchObject({
      state: "running",
      imageId: old,
    });
    await expect(fake.renameContainer("archy-nope", "x")).rejects.toThrow(ContainerNotFoundError);
    expect(await fake.removeImage(old)).toBe(false); // in use
    await fake.tagImage(old, "reg.lan/web:1");
    expect(await fake.imageId("reg.lan/web:1")).toBe(old);
    await fake.removeContainer("archy-web.prev", { force: true });
    expect(await fake.removeImage(fresh)).toBe(true); // unnamed and unused now
    expect(await fake.removeImage(old)).toBe(false); // still named
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

  it("scripted hangs never answer, or time out like podman, on the injected clock", async () => {
    fake.hangNext("listContainers", { rejectAfterMs: 5_000 });
    fake.hangNext("version");
    const p = fake.listContainers();
    const forever = fake.version();
    const settled = vi.fn();
    p.then(settled, settled);
    forever.then(settled, settled);
    await clock.advance(4_999);
    expect(settled).not.toHaveBeenCalled();
    await clock.advance(1);
    await expect(p).rejects.toBeInstanceOf(PodmanTimeoutError);
    await expect(p).rejects.toThrow("podman did not answer within 5000 ms: listContainers");
    await clock.advance(3_600_000);
    expect(settled).toHaveBeenCalledTimes(1);
  });

  it("a scripted slow call does its work after its delay on the injected clock", async () => {
    await fake.createContainer(spec);
    fake.slowNext("startContainer", 500);
    const start = fake.startContainer("archy-web");
    await clock.advance(499);
    expect((await fake.getContainerStatus("archy-web"))?.state).toBe("created");
    await clock.advance(1);
    await start;
    expect((await fake.getContainerStatus("archy-web"))?.state).toBe("running");
  });

  it("a started container can exit after N ms of the injected clock", async () => {
    fake.setBehaviour("archy-web", { exitAfterMs: 300, exitCode: 2 });
    await fake.createContainer(spec);
    await fake.startContainer("archy-web");
    expect(clock.pending).toBe(1);
    await clock.advance(299);
    expect((await fake.getContainerStatus("archy-web"))?.state).toBe("running");
    await clock.advance(1);
    expect(await fake.getContainerStatus("archy-web")).toMatchObject({
      state: "exited",
      exitCode: 2,
      finishedAt: "2026-01-01T00:00:00.300Z",
    });
  });

  it("an exit scheduled for an earlier start does not kill a restarted container", async () => {
    fake.setBehaviour("archy-web", { exitAfterMs: 300 });
    await fake.createContainer(spec);
    await fake.startContainer("archy-web");
    await clock.advance(200);
    await fake.stopContainer("archy-web");
    await fake.startContainer("archy-web");
    await clock.advance(200);
    expect((await fake.getContainerStatus("archy-web"))?.state).toBe("running");
    await clock.advance(100);
    expect((await fake.getContainerStatus("archy-web"))?.state).toBe("exited");
  });

  it("dispose cancels the scheduled exits", async () => {
    fake.setBehaviour("archy-web", { exitAfterMs: 300 });
    await fake.createContainer(spec);
    await fake.startContainer("archy-web");
    fake.dispose();
    expect(clock.pending).toBe(0);
    await clock.advance(1_000);
    expect((await fake.getContainerStatus("archy-web"))?.state).toBe("running");
  });

  it("calls and events carry the injected clock's time", async () => {
    const events: ContainerEvent[] = [];
    const ac = new AbortController();
    const done = collect(fake.events({ signal: ac.signal }), events);
    await clock.advance(1_500);
    await fake.createContainer(spec);
    await clock.advance(2_000);
    await fake.startContainer("archy-web");
    await clock.advance(0);
    ac.abort();
    await done;
    expect(fake.calls.map((c) => c.at - Date.UTC(2026, 0, 1))).toEqual([1_500, 3_500]);
    expect(events.map((e) => [e.status, e.time])).toEqual([
      ["create", "2026-01-01T00:00:01.500Z"],
      ["init", "2026-01-01T00:00:03.500Z"],
      ["start", "2026-01-01T00:00:03.500Z"],
    ]);
    expect((await fake.getContainerStatus("archy-web"))?.startedAt).toBe(
      "2026-01-01T00:00:03.500Z",
    );
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

  it("runContainer is create + start in one call: same events, checks and behaviours", async () => {
    fake.setBehaviour("archy-web", { exitAfterMs: 300, exitCode: 3 });
    const events: ContainerEvent[] = [];
    const ac = new AbortController();
    const done = collect(fake.events({ signal: ac.signal }), events);
    const id = await fake.runContainer(spec);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await fake.getContainerStatus("archy-web")).toMatchObject({ id, state: "running" });
    await clock.advance(300);
    expect(await fake.getContainerStatus("archy-web")).toMatchObject({
      state: "exited",
      exitCode: 3,
    });
    ac.abort();
    await done;
    expect(events.map((e) => e.status)).toEqual(["create", "init", "start", "died", "cleanup"]);
    await expect(fake.runContainer(spec)).rejects.toThrow(/already in use/);
    await expect(
      fake.runContainer({ ...spec, name: "x", image: "localhost/none:1" }),
    ).rejects.toBeInstanceOf(ImageNotFoundError);
    await expect(fake.runContainer({ ...spec, name: "-x" })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(fake.containers.has("x")).toBe(false);
    fake.setBehaviour("checked", { exitAfterChecks: 1 });
    await fake.runContainer({ ...spec, name: "checked" });
    expect((await fake.getContainerStatus("checked"))?.state).toBe("running");
    expect((await fake.getContainerStatus("checked"))?.state).toBe("exited");
    fake.failNext("runContainer");
    await expect(fake.runContainer({ ...spec, name: "y" })).rejects.toThrow(/scripted failure/);
    expect(fake.containers.has("y")).toBe(false);
    expect(fake.mutatingCalls().map((c) => c.method)).toEqual([
      "runContainer",
      "runContainer",
      "runContainer",
      "runContainer",
      "runContainer",
    ]);
  });

  it("startContainers: one call, a result per distinct name, failures scripted per name", async () => {
    for (const name of ["a", "b", "c", "up"]) await fake.createContainer({ ...spec, name });
    await fake.startContainer("up");
    fake.addContainer({ name: "frozen", image: "localhost/web:1" }, "paused");
    fake.failNext("startContainers", undefined, { match: (name) => name === "b" });
    const before = fake.calls.length;
    const result = await fake.startContainers(["a", "b", "up", "gone", "frozen", "c", "a"]);
    expect(result.started).toEqual(["a", "up", "c"]);
    expect(result.failed).toEqual([
      { name: "b", error: "Error: scripted failure of startContainers" },
      {
        name: "gone",
        error: 'Error: no container with name or ID "gone" found: no such container',
      },
      {
        name: "frozen",
        error: expect.stringMatching(
          /^Error: unable to start container "[0-9a-f]{64}": .*improper/,
        ),
      },
    ]);
    expect(fake.calls.slice(before).map((c) => [c.method, c.args])).toEqual([
      ["startContainers", [["a", "b", "up", "gone", "frozen", "c", "a"]]],
    ]);
    expect(fake.mutatingCalls().at(-1)?.method).toBe("startContainers");
    const states = (await fake.listContainers()).map((c) => [c.name, c.state]);
    expect(states).toEqual([
      ["a", "running"],
      ["b", "created"],
      ["c", "running"],
      ["up", "running"],
      ["frozen", "paused"],
    ]);
    // The script was used up: b starts now.
    expect(await fake.startContainers(["b"])).toEqual({ started: ["b"], failed: [] });
  });

  it("startContainers: an empty list is no call; invalid names are refused; a timeout fails the whole call", async () => {
    expect(await fake.startContainers([])).toEqual({ started: [], failed: [] });
    expect(fake.calls).toEqual([]);
    await expect(fake.startContainers(["a", "--all"])).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(fake.calls).toEqual([]);
    await fake.createContainer({ ...spec, name: "a" });
    fake.hangNext("startContainers", { rejectAfterMs: 1_000 });
    const p = fake.startContainers(["a"]);
    const settled = p.catch((e: unknown) => e);
    await clock.advance(1_000);
    expect(await settled).toBeInstanceOf(PodmanTimeoutError);
    fake.failNext("startContainers", new PodmanTimeoutError(["start"], 5));
    await expect(fake.startContainers(["a"])).rejects.toBeInstanceOf(PodmanTimeoutError);
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
