import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PodmanUnavailableError } from "@archy/runtime-podman";
import type { ReconcilerEvent } from "../types.js";
import { reconcilerFixture } from "../test-helpers.js";

const t = reconcilerFixture();
const iso = (ms: number) => new Date(ms).toISOString();
const methods = (from: number) =>
  t.fake.mutatingCalls().flatMap((c, i) => (i >= from ? [`${c.method} ${String(c.args[0])}`] : []));

describe("lifecycle operations and phases", () => {
  it("stop publishes stopping before it returns, then stopped; desired persists across a new Reconciler", async () => {
    const r = t.make([t.app("web")]);
    await t.settle(r.reconcileAll());
    const events: ReconcilerEvent[] = [];
    r.subscribe((e) => events.push(e));
    const handle = await r.stop("web");
    expect(handle.status).toMatchObject({ phase: "stopping", desired: "stopped" });
    expect(
      events.filter((e) => e.type === "phase").map((e) => (e as { phase: string }).phase),
    ).toEqual(["stopping"]);
    const final = await t.settle(handle.done);
    expect(final).toMatchObject({ phase: "stopped", stopReason: "user", desired: "stopped" });
    expect(JSON.parse(await readFile(join(t.dir, "desired.json"), "utf8")).data).toEqual({
      apps: { web: "stopped" },
    });

    const again = t.make([t.app("web")]);
    const report = await t.settle(again.reconcileAll());
    expect(report.actions).toEqual([]);
    expect(await again.appStatus("web")).toMatchObject({
      phase: "stopped",
      stopReason: "user",
      desired: "stopped",
    });
    t.fake.crash("archy-web"); // no-op on a stopped container
    expect(t.fake.containers.get("archy-web")?.state).toBe("exited");

    const started = await again.start("web");
    expect(started.status.phase).toBe("starting");
    expect(await t.settle(started.done)).toMatchObject({
      phase: "running",
      desired: "running",
      stopReason: null,
    });
  });

  it("answers at once with the transitional phase even when podman hangs, and a pass never overwrites it", async () => {
    const r = t.make([t.app("web")]);
    await t.settle(r.reconcileAll());
    t.fake.hangNext("stopContainer", { rejectAfterMs: 300 });
    const t0 = t.clock.now();
    // Awaited without moving the clock: the answer does not wait for podman.
    const handle = await r.stop("web");
    expect(t.clock.now()).toBe(t0);
    expect(handle.status.phase).toBe("stopping");
    let ended = false;
    void handle.done.then(() => (ended = true));
    await t.settle(r.reconcileAll());
    expect((await r.appStatus("web")).phase).toBe("stopping");
    expect(ended).toBe(false);
    // The stop times out: the phase reverts to the previous one, with the error.
    const final = await t.settle(handle.done);
    expect(final).toMatchObject({
      phase: "running",
      lastError: expect.stringMatching(/did not answer/),
      since: iso(t0 + 300),
    });
  });

  it("a failed operation carries the error's code to the status and the phase event (podman missing: EPODMANUNAVAILABLE)", async () => {
    const r = t.make([t.app("web")]);
    await t.settle(r.reconcileAll());
    const events: ReconcilerEvent[] = [];
    r.subscribe((e) => events.push(e));
    t.fake.failNext(
      "getContainerStatus",
      new PodmanUnavailableError("podman", "spawn podman ENOENT"),
    );
    const final = await t.settle((await r.stop("web")).done);
    expect(final).toMatchObject({
      phase: "running",
      lastError: expect.stringMatching(/podman/),
      lastErrorCode: "EPODMANUNAVAILABLE",
    });
    expect(events.filter((e) => e.type === "phase").at(-1)).toMatchObject({
      phase: "running",
      errorCode: "EPODMANUNAVAILABLE",
    });
    // A later success clears both.
    const started = await t.settle((await r.start("web")).done);
    expect(started).toMatchObject({ lastError: null, lastErrorCode: null });
  });

  it("restart goes through restarting and counts a restart", async () => {
    const r = t.make([t.app("web")]);
    await t.settle(r.reconcileAll());
    const events: string[] = [];
    r.subscribe((e) => e.type === "phase" && events.push(e.phase));
    const h = await r.restart("web");
    expect(await t.settle(h.done)).toMatchObject({ phase: "running", restarts: 1 });
    expect(events).toEqual(["restarting", "running"]);
    expect(t.fake.calls.filter((c) => c.method === "stopContainer")).toHaveLength(1);
  });

  it("restart of a running app stops and starts it: one more restart, no failure counted", async () => {
    const r = t.make([t.app("web")]);
    await t.settle(r.reconcileAll());
    const from = t.fake.mutatingCalls().length;
    const h = await r.restart("web");
    expect(await t.settle(h.done)).toMatchObject({
      phase: "running",
      restarts: 1,
      nextRetryAt: null,
    });
    expect(methods(from)).toEqual(["stopContainer archy-web", "startContainer archy-web"]);
    // Had the restart counted as a failure, this crash would be the second one and back off.
    t.fake.crash("archy-web");
    const report = await t.settle(r.reconcileAll());
    expect(report.actions).toMatchObject([{ app: "web", kind: "start", ok: true }]);
    expect(await r.appStatus("web")).toMatchObject({ phase: "running", restarts: 2 });
  });

  it("start of an app whose restart policy no kept it down after an exit starts it", async () => {
    const r = t.make([t.app("job", { policy: "no" })]);
    await t.settle(r.reconcileAll());
    t.fake.crash("archy-job", 3);
    await t.settle(r.reconcileAll());
    expect(await r.appStatus("job")).toMatchObject({ phase: "exited", stopReason: "crash" });
    const from = t.fake.mutatingCalls().length;
    const h = await r.start("job");
    expect(h.status.phase).toBe("starting");
    expect(await t.settle(h.done)).toMatchObject({
      phase: "running",
      stopReason: null,
      desired: "running",
    });
    expect(methods(from)).toEqual(["startContainer archy-job"]);
    expect(t.fake.containers.get("archy-job")?.state).toBe("running");
  });

  it("a start that fails reverts to the previous phase and records the error", async () => {
    const r = t.make([t.app("web")]);
    await t.settle((await r.stop("web")).done);
    t.fake.failNext("runContainer", new Error("no space left on device"));
    const h = await r.start("web");
    expect(await t.settle(h.done)).toMatchObject({
      phase: "stopped",
      lastError: "no space left on device",
      desired: "running",
    });
  });

  it("unknown apps are an UnknownAppError", async () => {
    await expect(t.make([t.app("web")]).stop("nope")).rejects.toMatchObject({
      code: "EUNKNOWNAPP",
    });
  });
});

describe("install and remove", () => {
  it("install writes the manifest and converges it through installing; remove takes the container, manifest and intent away", async () => {
    const apps = join(t.dir, "apps");
    await mkdir(apps);
    const r = t.make([], { apps: undefined, manifestsDir: apps });
    const events: string[] = [];
    r.subscribe((e) => e.type === "phase" && events.push(`${e.app} ${e.phase}`));
    const source = t.app("web").source;

    const installed = await r.install(source, "whatever.yaml");
    expect(installed.status).toMatchObject({ id: "web", phase: "installing" });
    expect(await t.settle(installed.done)).toMatchObject({ phase: "running", desired: "running" });
    expect(await readFile(join(apps, "web.yaml"), "utf8")).toBe(source);
    expect(t.fake.containers.get("archy-web")?.state).toBe("running");
    expect([events[0], events.at(-1)]).toEqual(["web installing", "web running"]);

    await t.settle((await r.stop("web")).done);
    const removed = await r.remove("web");
    expect(removed.status.phase).toBe("removing");
    expect(await t.settle(removed.done)).toMatchObject({ phase: "stopped", stopReason: "removed" });
    expect(t.fake.containers.has("archy-web")).toBe(false);
    expect(await readdir(apps)).toEqual([]);
    expect(JSON.parse(await readFile(join(t.dir, "desired.json"), "utf8")).data).toEqual({
      apps: {},
    });
    expect(r.getApps()).toEqual([]);
  });
});
