import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FakeRuntime } from "@archy/runtime-podman/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Reconciler, type ReconcilerEvent } from "./reconciler.js";
import { recoverAfterCrash } from "./recovery.js";
import { LABEL_APP, LABEL_HASH } from "./spec.js";
import { makeApp, tempState, type AppOptions } from "./test-helpers.js";

let state: { dir: string; remove: () => Promise<void> };
let fake: FakeRuntime;
let clock: number;
const now = () => clock;

beforeEach(async () => {
  state = await tempState();
  clock = Date.UTC(2026, 10, 22, 12);
  fake = new FakeRuntime({
    images: ["localhost/web:1", "localhost/db:1", "localhost/cache:1", "localhost/job:1"],
    now,
  });
});
afterEach(async () => {
  fake.dispose();
  await state.remove();
});

const make = (
  apps: ReturnType<typeof makeApp>[],
  extra: Partial<ConstructorParameters<typeof Reconciler>[0]> = {},
) => new Reconciler({ runtime: fake, apps, stateDir: state.dir, startSettleMs: 0, now, ...extra });

const app = (id: string, o: AppOptions = {}) => makeApp(id, { dir: state.dir, ...o });

describe("reconcileAll", () => {
  it("converges a stack from nothing in dependency order; a second pass changes nothing", async () => {
    const r = make([app("web", { deps: ["db"] }), app("db"), app("cache")]);
    const report = await r.reconcileAll();
    expect(report.observed).toBe(true);
    expect(report.failures).toEqual([]);
    expect(report.actions.map((a) => [a.app, a.kind, a.ok])).toEqual([
      ["cache", "create", true],
      ["db", "create", true],
      ["web", "create", true],
    ]);
    expect(fake.containers.get("archy-web")?.spec.labels).toMatchObject({
      [LABEL_APP]: "web",
      [LABEL_HASH]: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // db was started before web was created.
    const order = fake.calls.filter((c) => c.method === "startContainer").map((c) => c.args[0]);
    expect(order.indexOf("archy-db")).toBeLessThan(order.indexOf("archy-web"));
    expect((await r.status()).map((s) => [s.id, s.phase])).toEqual([
      ["cache", "running"],
      ["db", "running"],
      ["web", "running"],
    ]);

    const mutating = fake.mutatingCalls().length;
    const callsBefore = fake.calls.length;
    const second = await r.reconcileAll();
    expect(second.actions).toEqual([]);
    expect(second.converged.sort()).toEqual(["cache", "db", "web"]);
    expect(fake.mutatingCalls().length).toBe(mutating);
    expect(
      fake.calls
        .slice(callsBefore)
        .map((c) => c.method)
        .sort(),
    ).toEqual(["listContainers", "listImages"]);
  });

  it("one app's failure never stops the pass; dependents wait with reason dependency", async () => {
    fake.failNext("createContainer", undefined, {
      match: (spec) => (spec as { name: string }).name === "archy-db",
    });
    const r = make([app("web", { deps: ["db"] }), app("db"), app("cache")]);
    const report = await r.reconcileAll();
    expect(report.failures.map((f) => f.app)).toEqual(["db"]);
    expect(report.skipped).toContainEqual({
      app: "web",
      reason: expect.stringMatching(/^waiting for db/),
      stopReason: "dependency",
    });
    expect(fake.containers.has("archy-web")).toBe(false);
    expect(fake.containers.get("archy-cache")?.state).toBe("running");
    const web = await r.appStatus("web");
    expect(web).toMatchObject({ phase: "missing", stopReason: "dependency" });
    // Next pass: db is retried (first failure: at once), then web follows.
    const next = await r.reconcileAll();
    expect(next.failures).toEqual([]);
    expect((await r.status()).every((s) => s.phase === "running")).toBe(true);
  });

  it("an image that is absent is pulled (pull: missing) or built (build given); pull never fails clearly", async () => {
    const pulled = makeApp("remote", { dir: state.dir, image: "docker.io/library/remote:1" });
    fake = new FakeRuntime({ registry: ["docker.io/library/remote:1"], now });
    const r = make([pulled]);
    expect((await r.reconcileAll()).failures).toEqual([]);
    expect(fake.calls.some((c) => c.method === "pullImage")).toBe(true);
    const never = makeApp("local", { dir: state.dir, image: "localhost/local:1" });
    never.container.pull = "never";
    const report = await make([never]).reconcileAll();
    expect(report.failures[0]?.error).toMatch(
      /image localhost\/local:1 is absent and pull is never/,
    );
  });

  it("a start counts only if the container is still running after it; failures back off exponentially", async () => {
    fake.setBehaviour("archy-job", { exitAfterChecks: 0, exitCode: 3 });
    const r = make([app("job", { backoff: "{ initial: 1s, max: 4s, reset: 1m }" })]);
    const events: ReconcilerEvent[] = [];
    r.subscribe((e) => events.push(e));

    const first = await r.reconcileAll();
    expect(first.failures[0]?.error).toMatch(
      /archy-job exited with code 3 \d+ ms after it was started/,
    );
    expect(await r.appStatus("job")).toMatchObject({
      phase: "failed",
      stopReason: "crash",
      nextRetryAt: null,
    });

    // Second failure: 1 s back-off, then 2 s, then capped at 4 s.
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await r.reconcileAll();
      const s = await r.appStatus("job");
      expect(s.phase).toBe("backoff");
      expect(s.stopReason).toBe("backoff");
      const wait = Date.parse(s.nextRetryAt!) - clock;
      delays.push(wait);
      expect(r.nextWakeAt()).toBe(clock + wait);
      // Passes inside the back-off do nothing.
      const starts = fake.calls.filter((c) => c.method === "startContainer").length;
      clock += wait - 1;
      expect((await r.reconcileAll()).skipped).toContainEqual(
        expect.objectContaining({ app: "job", stopReason: "backoff" }),
      );
      expect(fake.calls.filter((c) => c.method === "startContainer").length).toBe(starts);
      clock += 1;
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 4_000]);
    expect(r.nextWakeAt()).toBeNull();
    expect(events.some((e) => e.type === "phase" && e.app === "job" && e.phase === "backoff")).toBe(
      true,
    );
  });

  it("an exit the restart policy keeps down: removed for a clean exit, crash otherwise", async () => {
    const r = make([app("job", { policy: "on-failure" }), app("web", { policy: "no" })]);
    await r.reconcileAll();
    fake.crash("archy-job", 0);
    fake.crash("archy-web", 3);
    const report = await r.reconcileAll();
    expect(report.actions).toEqual([]);
    expect((await r.status()).map((s) => [s.id, s.phase, s.stopReason])).toEqual([
      ["job", "exited", "removed"],
      ["web", "exited", "crash"],
    ]);
  });

  it("a crash of a running app is restarted at once the first time and counted once", async () => {
    const r = make([app("web")]);
    await r.reconcileAll();
    fake.crash("archy-web", 137);
    const report = await r.reconcileAll();
    expect(report.actions).toMatchObject([
      { app: "web", kind: "start", reason: "exited (code 137)", ok: true },
    ]);
    expect(await r.appStatus("web")).toMatchObject({ phase: "running", restarts: 1 });
    // A crash soon after: now it backs off (initial 1 s).
    clock += 1_000;
    fake.crash("archy-web", 137);
    await r.reconcileAll();
    expect(await r.appStatus("web")).toMatchObject({
      phase: "backoff",
      nextRetryAt: new Date(clock + 1_000).toISOString(),
    });
  });

  it("running healthy for the reset period resets the back-off", async () => {
    const r = make([app("web", { backoff: "{ initial: 1s, max: 1m, reset: 10s }" })]);
    await r.reconcileAll();
    for (let i = 0; i < 3; i++) {
      fake.crash("archy-web");
      clock += 60_000;
      await r.reconcileAll();
    }
    clock += 1_000;
    fake.crash("archy-web");
    await r.reconcileAll();
    expect((await r.appStatus("web")).phase).toBe("backoff");
    clock += 60_000;
    await r.reconcileAll(); // restarted
    await r.reconcileAll(); // seen healthy: healthySince set
    clock += 10_000;
    await r.reconcileAll(); // reset
    fake.crash("archy-web");
    expect((await r.reconcileAll()).actions).toMatchObject([{ kind: "start", ok: true }]);
  });

  it("unhealthy past retries: restarted, counted as a failed start", async () => {
    fake.setBehaviour("archy-web", {
      health: ["healthy", "unhealthy", "unhealthy", "unhealthy", "healthy"],
    });
    const r = make([app("web", { health: '{ cmd: ["check"], interval: 10ms, retries: 3 }' })]);
    await r.reconcileAll();
    expect(await r.appStatus("web")).toMatchObject({ phase: "running", health: "healthy" });
    for (let i = 0; i < 3; i++) await fake.runHealthcheck("archy-web");
    const report = await r.reconcileAll();
    expect(report.actions).toMatchObject([
      { kind: "restart", reason: "unhealthy past its retries", ok: true },
    ]);
    expect(await r.appStatus("web")).toMatchObject({
      phase: "running",
      health: "healthy",
      restarts: 1,
    });
  });

  it("a start that never becomes healthy fails with reason health", async () => {
    fake.setBehaviour("archy-web", { health: ["unhealthy"] });
    const r = make([
      app("web", { health: '{ cmd: ["check"], interval: 10ms, retries: 2, timeout: 10ms }' }),
    ]);
    const report = await r.reconcileAll();
    expect(report.failures[0]?.error).toMatch(/did not become healthy within/);
    expect(await r.appStatus("web")).toMatchObject({ phase: "failed", stopReason: "health" });
  });

  it("a config change recreates only that app", async () => {
    const web = app("web", { env: { A: "1" } });
    const r = make([web, app("db")]);
    await r.reconcileAll();
    const dbId = fake.containers.get("archy-db")?.id;
    const webId = fake.containers.get("archy-web")?.id;
    web.container.env = { A: "2" };
    const report = await r.reconcileAll();
    expect(report.actions).toMatchObject([
      { app: "web", kind: "recreate", reason: expect.stringMatching(/^config changed/) },
    ]);
    expect(fake.containers.get("archy-web")?.id).not.toBe(webId);
    expect(fake.containers.get("archy-db")?.id).toBe(dbId);
  });

  it("wedged containers (paused, created) are force-recreated", async () => {
    const r = make([app("web"), app("db")]);
    await r.reconcileAll();
    fake.pause("archy-web");
    await fake.removeContainer("archy-db", { force: true });
    fake.addContainer(
      { name: "archy-db", image: "localhost/db:1", labels: { [LABEL_APP]: "db" } },
      "created",
    );
    const report = await r.reconcileAll();
    expect(report.actions.map((a) => [a.app, a.kind, a.reason])).toEqual([
      ["db", "recreate", "wedged in state created"],
      ["web", "recreate", "wedged in state paused"],
    ]);
    expect((await r.status()).map((s) => s.phase)).toEqual(["running", "running"]);
  });

  it("a container named archy-<id> that archy did not create is never removed", async () => {
    fake.addContainer({ name: "archy-web", image: "localhost/web:1" }, "exited");
    const r = make([app("web")]);
    const report = await r.reconcileAll();
    expect(report.failures[0]?.error).toMatch(
      /the name archy-web is taken by a container archy did not create/,
    );
    expect(fake.mutatingCalls()).toEqual([]);
    expect(await r.appStatus("web")).toMatchObject({ phase: "failed" });
  });

  it("a failing pre-start hook fails that app and leaves its container untouched", async () => {
    const r0 = make([app("web")]);
    await r0.reconcileAll();
    const before = fake.mutatingCalls().length;
    const r = make([app("web", { hooks: [["sh", "-c", "echo broken >&2; exit 4"]] })]);
    const report = await r.reconcileAll();
    expect(report.failures[0]?.error).toMatch(/pre-start hook .* of web failed: exit 4: broken/);
    expect(fake.mutatingCalls().length).toBe(before);
    expect(fake.containers.get("archy-web")?.state).toBe("running");
  });

  it("a failing hook of an app that is not running: not started, stop reason hook", async () => {
    const r = make([app("web", { hooks: [["false"]] })]);
    const report = await r.reconcileAll();
    expect(report.actions).toEqual([]);
    expect(fake.mutatingCalls()).toEqual([]);
    expect(await r.appStatus("web")).toMatchObject({
      phase: "failed",
      stopReason: "hook",
      lastError: expect.stringMatching(/pre-start hook \["false"\] of web failed: exit 1/),
    });
  });

  it("a pre-start hook that rewrites a config file causes a recreate", async () => {
    const conf = join(state.dir, "web.conf");
    await writeFile(conf, "v1\n");
    const web = app("web", {
      hooks: [["sh", "-c", "cat version > web.conf"]],
      configFiles: ["./web.conf"],
    });
    await writeFile(join(state.dir, "version"), "v1\n");
    const r = make([web]);
    await r.reconcileAll();
    expect((await r.reconcileAll()).actions).toEqual([]);
    await writeFile(join(state.dir, "version"), "v2\n");
    const report = await r.reconcileAll();
    expect(report.actions).toMatchObject([{ app: "web", kind: "recreate" }]);
    expect(await readFile(conf, "utf8")).toBe("v2\n");
  });

  it("hooks see the app's env and never leak secrets into errors", async () => {
    const r = make([
      app("web", {
        env: { API_TOKEN: "hunter22", GREETING: "hi" },
        hooks: [["sh", "-c", 'echo "$GREETING $API_TOKEN $ARCHY_APP_ID" >&2; exit 1']],
      }),
    ]);
    const report = await r.reconcileAll();
    expect(report.failures[0]?.error).toMatch(/hi \*\*\* web/);
    expect(JSON.stringify(report)).not.toContain("hunter22");
  });

  it("runs independent apps in parallel, bounded by concurrency", async () => {
    let inFlight = 0;
    let most = 0;
    const start = fake.startContainer.bind(fake);
    fake.startContainer = async (name: string) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return start(name);
    };
    const ids = ["a1", "a2", "a3", "a4", "a5", "a6"];
    for (const id of ids) fake.addImage(`localhost/${id}:1`);
    await make(
      ids.map((id) => app(id)),
      { concurrency: 2 },
    ).reconcileAll();
    expect(most).toBe(2);
    expect([...fake.containers.values()].filter((c) => c.state === "running")).toHaveLength(6);
  });

  it("refresh observes with one podman call and changes nothing", async () => {
    const r = make([app("web"), app("db")]);
    await r.reconcileAll();
    fake.crash("archy-web");
    fake.addContainer({
      name: "archy-gone",
      image: "localhost/web:1",
      labels: { [LABEL_APP]: "gone" },
    });
    const fresh = make([app("web"), app("db")]);
    const before = fake.calls.length;
    await fresh.refresh();
    expect(fake.calls.slice(before).map((c) => c.method)).toEqual(["listContainers"]);
    expect((await fresh.status()).map((s) => [s.id, s.phase, s.stopReason])).toEqual([
      ["db", "running", null],
      ["web", "exited", "crash"],
    ]);
    expect(fresh.orphans().map((o) => o.name)).toEqual(["archy-gone"]);
  });

  it("orphans are reported and removed only when asked", async () => {
    fake.addContainer({
      name: "archy-gone",
      image: "localhost/web:1",
      labels: { [LABEL_APP]: "gone" },
    });
    const r = make([app("web")]);
    expect((await r.reconcileAll()).orphans).toEqual([{ name: "archy-gone", app: "gone" }]);
    expect(fake.containers.has("archy-gone")).toBe(true);
    const report = await r.reconcileAll({ removeOrphans: true });
    expect(report.actions).toContainEqual(
      expect.objectContaining({ kind: "remove-orphan", container: "archy-gone", ok: true }),
    );
    expect(fake.containers.has("archy-gone")).toBe(false);
  });

  it("an observation failure changes nothing and is reported, not thrown", async () => {
    const r = make([app("web")]);
    await r.reconcileAll();
    fake.failNext("listContainers");
    const report = await r.reconcileAll();
    expect(report.observed).toBe(false);
    expect(report.error).toMatch(/cannot observe podman/);
    expect((await r.snapshotState()).containers.map((c) => c.name)).toEqual(["archy-web"]);
  });

  it("when a dependency comes back, its backed-off dependents are retried at once", async () => {
    const r = make([app("web", { deps: ["db"] }), app("db")]);
    await r.reconcileAll();
    // web crash-loops into a back-off.
    for (let i = 0; i < 3; i++) {
      fake.crash("archy-web");
      clock += 10_000;
      await r.reconcileAll();
    }
    clock += 1_000;
    fake.crash("archy-web");
    await r.reconcileAll();
    expect((await r.appStatus("web")).phase).toBe("backoff");
    // db dies and comes back: web is retried in the same pass.
    fake.crash("archy-db");
    const report = await r.reconcileAll();
    expect(report.actions.map((a) => [a.app, a.kind, a.ok])).toEqual([
      ["db", "start", true],
      ["web", "start", true],
    ]);
  });
});

describe("lifecycle operations and phases", () => {
  it("stop publishes stopping before it returns, then stopped; desired persists across a new Reconciler", async () => {
    const r = make([app("web")]);
    await r.reconcileAll();
    const events: ReconcilerEvent[] = [];
    r.subscribe((e) => events.push(e));
    const handle = await r.stop("web");
    expect(handle.status).toMatchObject({ phase: "stopping", desired: "stopped" });
    expect(
      events.filter((e) => e.type === "phase").map((e) => (e as { phase: string }).phase),
    ).toEqual(["stopping"]);
    const final = await handle.done;
    expect(final).toMatchObject({ phase: "stopped", stopReason: "user", desired: "stopped" });
    expect(JSON.parse(await readFile(join(state.dir, "desired.json"), "utf8")).data).toEqual({
      apps: { web: "stopped" },
    });

    const again = make([app("web")]);
    const report = await again.reconcileAll();
    expect(report.actions).toEqual([]);
    expect(await again.appStatus("web")).toMatchObject({
      phase: "stopped",
      stopReason: "user",
      desired: "stopped",
    });
    fake.crash("archy-web"); // no-op on a stopped container
    expect(fake.containers.get("archy-web")?.state).toBe("exited");

    const started = await again.start("web");
    expect(started.status.phase).toBe("starting");
    expect(await started.done).toMatchObject({
      phase: "running",
      desired: "running",
      stopReason: null,
    });
  });

  it("answers at once with the transitional phase even when podman hangs, and a pass never overwrites it", async () => {
    const r = make([app("web")]);
    await r.reconcileAll();
    fake.hangNext("stopContainer", { rejectAfterMs: 300 });
    const t0 = Date.now();
    const handle = await r.stop("web");
    expect(Date.now() - t0).toBeLessThan(200);
    expect(handle.status.phase).toBe("stopping");
    await r.reconcileAll();
    expect((await r.appStatus("web")).phase).toBe("stopping");
    // The stop times out: the phase reverts to the previous one, with the error.
    const final = await handle.done;
    expect(final).toMatchObject({
      phase: "running",
      lastError: expect.stringMatching(/did not answer/),
    });
  });

  it("restart goes through restarting and counts a restart", async () => {
    const r = make([app("web")]);
    await r.reconcileAll();
    const events: string[] = [];
    r.subscribe((e) => e.type === "phase" && events.push(e.phase));
    const h = await r.restart("web");
    expect(await h.done).toMatchObject({ phase: "running", restarts: 1 });
    expect(events).toEqual(["restarting", "running"]);
    expect(fake.calls.filter((c) => c.method === "stopContainer")).toHaveLength(1);
  });

  it("a start that fails reverts to the previous phase and records the error", async () => {
    const r = make([app("web")]);
    await (
      await r.stop("web")
    ).done;
    fake.failNext("createContainer", new Error("no space left on device"));
    const h = await r.start("web");
    expect(await h.done).toMatchObject({
      phase: "stopped",
      lastError: "no space left on device",
      desired: "running",
    });
  });

  it("unknown apps are an UnknownAppError", async () => {
    await expect(make([app("web")]).stop("nope")).rejects.toMatchObject({ code: "EUNKNOWNAPP" });
  });
});

describe("snapshots and recovery", () => {
  it("snapshotState holds manifests, desired states and the running containers, managed or not", async () => {
    fake.addContainer({ name: "someone-elses", image: "localhost/web:1" });
    const r = make([app("web"), app("db")]);
    await r.reconcileAll();
    await (
      await r.stop("db")
    ).done;
    await r.reconcileAll();
    const snap = await r.snapshotState();
    expect(snap.apps.map((a) => [a.id, a.desired, a.manifest.file])).toEqual([
      ["db", "stopped", "db.yaml"],
      ["web", "running", "web.yaml"],
    ]);
    expect(snap.apps[1]?.manifest.source).toContain("id: web");
    expect(snap.containers.map((c) => [c.name, c.app]).sort()).toEqual([
      ["archy-web", "web"],
      ["someone-elses", null],
    ]);
  });

  it("recoverAfterCrash starts what was running and is not, except apps desired stopped", async () => {
    const r = make([app("web"), app("db"), app("cache")]);
    await r.reconcileAll();
    fake.addContainer({ name: "unmanaged", image: "localhost/web:1" });
    fake.addContainer({ name: "vanished", image: "localhost/web:1" });
    await r.reconcileAll();
    const snapshot = await r.snapshotState();
    // A reboot: everything stopped; one container gone.
    for (const name of ["archy-web", "archy-db", "unmanaged"]) fake.crash(name);
    await fake.removeContainer("vanished", { force: true });
    const report = await recoverAfterCrash({ runtime: fake, snapshot, desired: { db: "stopped" } });
    expect(report).toEqual({
      recovered: ["archy-web", "unmanaged"],
      alreadyRunning: ["archy-cache"],
      skipped: [{ name: "archy-db", reason: "app db is stopped by the owner" }],
      failed: [{ name: "vanished", error: "the container no longer exists" }],
    });
    expect(fake.containers.get("archy-db")?.state).toBe("exited");
  });
});
