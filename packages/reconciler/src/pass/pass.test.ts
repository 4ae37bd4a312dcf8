import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sleep } from "@archy/runtime-podman";
import { FakeRuntime } from "@archy/runtime-podman/testing";
import { describe, expect, it } from "vitest";
import { LABEL_APP, LABEL_HASH } from "../manifest/spec.js";
import { makeApp, reconcilerFixture } from "../test-helpers.js";

const t = reconcilerFixture();

describe("reconcileAll", () => {
  it("converges a stack from nothing in dependency order; a second pass changes nothing", async () => {
    const r = t.make([t.app("web", { deps: ["db"] }), t.app("db"), t.app("cache")]);
    const report = await t.settle(r.reconcileAll());
    expect(report.observed).toBe(true);
    expect(report.failures).toEqual([]);
    expect(report.actions.map((a) => [a.app, a.kind, a.ok])).toEqual([
      ["cache", "create", true],
      ["db", "create", true],
      ["web", "create", true],
    ]);
    expect(t.fake.containers.get("archy-web")?.spec.labels).toMatchObject({
      [LABEL_APP]: "web",
      [LABEL_HASH]: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // db was started before web was created, each with one podman process (run -d).
    const order = t.fake.calls
      .filter((c) => c.method === "runContainer")
      .map((c) => (c.args[0] as { name: string }).name);
    expect(order.indexOf("archy-db")).toBeLessThan(order.indexOf("archy-web"));
    expect((await r.status()).map((s) => [s.id, s.phase])).toEqual([
      ["cache", "running"],
      ["db", "running"],
      ["web", "running"],
    ]);

    const mutating = t.fake.mutatingCalls().length;
    const callsBefore = t.fake.calls.length;
    const second = await t.settle(r.reconcileAll());
    expect(second.actions).toEqual([]);
    expect(second.converged.sort()).toEqual(["cache", "db", "web"]);
    expect(t.fake.mutatingCalls().length).toBe(mutating);
    expect(
      t.fake.calls
        .slice(callsBefore)
        .map((c) => c.method)
        .sort(),
    ).toEqual(["listContainers", "listImages"]);
  });

  it("one app's failure never stops the pass; dependents wait with reason dependency", async () => {
    t.fake.failNext("runContainer", undefined, {
      match: (spec) => (spec as { name: string }).name === "archy-db",
    });
    const r = t.make([t.app("web", { deps: ["db"] }), t.app("db"), t.app("cache")]);
    const report = await t.settle(r.reconcileAll());
    expect(report.failures.map((f) => f.app)).toEqual(["db"]);
    expect(report.skipped).toContainEqual({
      app: "web",
      reason: expect.stringMatching(/^waiting for db/),
      stopReason: "dependency",
    });
    expect(t.fake.containers.has("archy-web")).toBe(false);
    expect(t.fake.containers.get("archy-cache")?.state).toBe("running");
    const web = await r.appStatus("web");
    expect(web).toMatchObject({ phase: "missing", stopReason: "dependency" });
    // Next pass: db is retried (first failure: at once), then web follows.
    const next = await t.settle(r.reconcileAll());
    expect(next.failures).toEqual([]);
    expect((await r.status()).every((s) => s.phase === "running")).toBe(true);
  });

  it("an image one app builds in a pass serves the apps that need it later in the same pass (pull never)", async () => {
    const builder = t.app("web", { image: "localhost/shared:1" });
    builder.container.build = { context: t.dir };
    const user = t.app("clock", { image: "localhost/shared:1", deps: ["web"] });
    user.container.pull = "never";
    const report = await t.settle(t.make([builder, user]).reconcileAll());
    expect(report.failures).toEqual([]);
    expect(report.actions.map((a) => [a.app, a.kind, a.ok])).toEqual([
      ["web", "create", true],
      ["clock", "create", true],
    ]);
    expect(t.fake.calls.filter((c) => c.method === "buildImage")).toHaveLength(1);
  });

  it("an image that is absent is pulled (pull: missing) or built (build given); pull never fails clearly", async () => {
    const pulled = makeApp("remote", { dir: t.dir, image: "docker.io/library/remote:1" });
    t.fake.dispose();
    t.fake = new FakeRuntime({ registry: ["docker.io/library/remote:1"], clock: t.clock });
    const r = t.make([pulled]);
    expect((await t.settle(r.reconcileAll())).failures).toEqual([]);
    expect(t.fake.calls.some((c) => c.method === "pullImage")).toBe(true);
    const never = makeApp("local", { dir: t.dir, image: "localhost/local:1" });
    never.container.pull = "never";
    const report = await t.settle(t.make([never]).reconcileAll());
    expect(report.failures[0]?.error).toMatch(
      /image localhost\/local:1 is absent and pull is never/,
    );
  });

  it("an exit the restart policy keeps down: removed for a clean exit, crash otherwise", async () => {
    const r = t.make([t.app("job", { policy: "on-failure" }), t.app("web", { policy: "no" })]);
    await t.settle(r.reconcileAll());
    t.fake.crash("archy-job", 0);
    t.fake.crash("archy-web", 3);
    const report = await t.settle(r.reconcileAll());
    expect(report.actions).toEqual([]);
    expect((await r.status()).map((s) => [s.id, s.phase, s.stopReason])).toEqual([
      ["job", "exited", "removed"],
      ["web", "exited", "crash"],
    ]);
  });

  it("a config change recreates only that app", async () => {
    const web = t.app("web", { env: { A: "1" } });
    const r = t.make([web, t.app("db")]);
    await t.settle(r.reconcileAll());
    const dbId = t.fake.containers.get("archy-db")?.id;
    const webId = t.fake.containers.get("archy-web")?.id;
    web.container.env = { A: "2" };
    const report = await t.settle(r.reconcileAll());
    expect(report.actions).toMatchObject([
      { app: "web", kind: "recreate", reason: expect.stringMatching(/^config changed/) },
    ]);
    expect(t.fake.containers.get("archy-web")?.id).not.toBe(webId);
    expect(t.fake.containers.get("archy-db")?.id).toBe(dbId);
  });

  it("wedged containers (paused, created) are force-recreated", async () => {
    const r = t.make([t.app("web"), t.app("db")]);
    await t.settle(r.reconcileAll());
    t.fake.pause("archy-web");
    await t.fake.removeContainer("archy-db", { force: true });
    t.fake.addContainer(
      { name: "archy-db", image: "localhost/db:1", labels: { [LABEL_APP]: "db" } },
      "created",
    );
    const report = await t.settle(r.reconcileAll());
    expect(report.actions.map((a) => [a.app, a.kind, a.reason])).toEqual([
      ["db", "recreate", "wedged in state created"],
      ["web", "recreate", "wedged in state paused"],
    ]);
    expect((await r.status()).map((s) => s.phase)).toEqual(["running", "running"]);
  });

  it("a container named archy-<id> that archy did not create is never removed", async () => {
    t.fake.addContainer({ name: "archy-web", image: "localhost/web:1" }, "exited");
    const r = t.make([t.app("web")]);
    const report = await t.settle(r.reconcileAll());
    expect(report.failures[0]?.error).toMatch(
      /the name archy-web is taken by a container archy did not create/,
    );
    expect(t.fake.mutatingCalls()).toEqual([]);
    expect(await r.appStatus("web")).toMatchObject({ phase: "failed" });
  });

  it("runs independent apps in parallel, bounded by concurrency", async () => {
    let inFlight = 0;
    let most = 0;
    const run = t.fake.runContainer.bind(t.fake);
    t.fake.runContainer = async (spec) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(t.clock, 20);
      inFlight--;
      return run(spec);
    };
    const ids = ["a1", "a2", "a3", "a4", "a5", "a6"];
    for (const id of ids) t.fake.addImage(`localhost/${id}:1`);
    const report = await t.settle(
      t
        .make(
          ids.map((id) => t.app(id)),
          { concurrency: 2 },
        )
        .reconcileAll(),
    );
    expect(most).toBe(2);
    expect([...t.fake.containers.values()].filter((c) => c.state === "running")).toHaveLength(6);
    // Three rounds of two 20 ms starts; settling holds no slot, and one shared
    // status poll (due 50 ms after the first round) answers for all six at 70 ms.
    expect(report.durationMs).toBe(70);
    // podman ps: the observation, one status poll for all six, the running set for snapshots.
    expect(t.fake.calls.filter((c) => c.method === "listContainers")).toHaveLength(3);
  });

  it("refresh observes with one podman call and changes nothing", async () => {
    const r = t.make([t.app("web"), t.app("db")]);
    await t.settle(r.reconcileAll());
    t.fake.crash("archy-web", 2); // (an exit by SIGKILL costs an inspect more: oom.test.ts)
    t.fake.addContainer({
      name: "archy-gone",
      image: "localhost/web:1",
      labels: { [LABEL_APP]: "gone" },
    });
    const fresh = t.make([t.app("web"), t.app("db")]);
    const before = t.fake.calls.length;
    await t.settle(fresh.refresh());
    expect(t.fake.calls.slice(before).map((c) => c.method)).toEqual(["listContainers"]);
    expect((await fresh.status()).map((s) => [s.id, s.phase, s.stopReason])).toEqual([
      ["db", "running", null],
      ["web", "exited", "crash"],
    ]);
    expect(fresh.orphans().map((o) => o.name)).toEqual(["archy-gone"]);
  });

  it("plan says what a pass would do and changes nothing", async () => {
    const r = t.make([t.app("web", { deps: ["db"] }), t.app("db")]);
    await t.settle(r.reconcileAll());
    t.fake.crash("archy-db", 3);
    const before = t.fake.calls.length;
    const { plan } = await t.settle(r.plan());
    expect(plan.actions.map((a) => [a.app, a.kind, a.reason])).toEqual([
      ["db", "start", "exited (code 3)"],
    ]);
    expect(t.fake.calls.slice(before).map((c) => c.method)).toEqual([
      "listContainers",
      "listImages",
    ]);
    expect(t.fake.containers.get("archy-db")?.state).toBe("exited");
  });

  it("orphans are reported and removed only when asked", async () => {
    t.fake.addContainer({
      name: "archy-gone",
      image: "localhost/web:1",
      labels: { [LABEL_APP]: "gone" },
    });
    const r = t.make([t.app("web")]);
    expect((await t.settle(r.reconcileAll())).orphans).toEqual([
      { name: "archy-gone", app: "gone" },
    ]);
    expect(t.fake.containers.has("archy-gone")).toBe(true);
    const report = await t.settle(r.reconcileAll({ removeOrphans: true }));
    // Removed once (one podman rm, one action), and no longer reported as an orphan.
    expect(report.actions.filter((a) => a.kind === "remove-orphan")).toEqual([
      expect.objectContaining({ kind: "remove-orphan", container: "archy-gone", ok: true }),
    ]);
    expect(t.fake.calls.filter((c) => c.method === "removeContainer")).toHaveLength(1);
    expect(report.failures).toEqual([]);
    expect(report.orphans).toEqual([]);
    expect(r.orphans()).toEqual([]);
    expect(t.fake.containers.has("archy-gone")).toBe(false);
  });

  it("an observation failure changes nothing and is reported, not thrown", async () => {
    const r = t.make([t.app("web")]);
    await t.settle(r.reconcileAll());
    t.fake.failNext("listContainers");
    const report = await t.settle(r.reconcileAll());
    expect(report.observed).toBe(false);
    expect(report.error).toMatch(/cannot observe podman/);
    expect((await r.snapshotState()).containers.map((c) => c.name)).toEqual(["archy-web"]);
  });
});

describe("reconcileAll: pre-start hooks", () => {
  it("a failing pre-start hook fails that app and leaves its container untouched", async () => {
    const r0 = t.make([t.app("web")]);
    await t.settle(r0.reconcileAll());
    const before = t.fake.mutatingCalls().length;
    const r = t.make([t.app("web", { hooks: [["sh", "-c", "echo broken >&2; exit 4"]] })]);
    const report = await t.settle(r.reconcileAll());
    expect(report.failures[0]?.error).toMatch(/pre-start hook .* of web failed: exit 4: broken/);
    expect(t.fake.mutatingCalls().length).toBe(before);
    expect(t.fake.containers.get("archy-web")?.state).toBe("running");
  });

  it("a failing hook of an app that is not running: not started, stop reason hook", async () => {
    const r = t.make([t.app("web", { hooks: [["false"]] })]);
    const report = await t.settle(r.reconcileAll());
    expect(report.actions).toEqual([]);
    expect(t.fake.mutatingCalls()).toEqual([]);
    expect(await r.appStatus("web")).toMatchObject({
      phase: "failed",
      stopReason: "hook",
      lastError: expect.stringMatching(/pre-start hook \["false"\] of web failed: exit 1/),
    });
  });

  it("a pre-start hook that rewrites a config file causes a recreate", async () => {
    const conf = join(t.dir, "web.conf");
    await writeFile(conf, "v1\n");
    const web = t.app("web", {
      hooks: [["sh", "-c", "cat version > web.conf"]],
      configFiles: ["./web.conf"],
    });
    await writeFile(join(t.dir, "version"), "v1\n");
    const r = t.make([web]);
    await t.settle(r.reconcileAll());
    expect((await t.settle(r.reconcileAll())).actions).toEqual([]);
    await writeFile(join(t.dir, "version"), "v2\n");
    const report = await t.settle(r.reconcileAll());
    expect(report.actions).toMatchObject([{ app: "web", kind: "recreate" }]);
    expect(await readFile(conf, "utf8")).toBe("v2\n");
  });

  it("a config file that cannot be read fails its app and recreates nothing; readable again, it runs on", async () => {
    const conf = join(t.dir, "web.conf");
    await writeFile(conf, "v1\n");
    const r = t.make([t.app("web", { configFiles: ["./web.conf"] })]);
    await t.settle(r.reconcileAll());
    const id = t.fake.containers.get("archy-web")!.id;
    // A folder where the file was: EISDIR, not "absent" (which would change the hash).
    await rm(conf);
    await mkdir(conf);
    const report = await t.settle(r.reconcileAll());
    expect(report.actions).toEqual([]);
    expect(report.failures).toEqual([
      { app: "web", error: expect.stringMatching(/cannot read config file .*web\.conf: EISDIR/) },
    ]);
    expect(await r.appStatus("web")).toMatchObject({
      phase: "failed",
      lastError: expect.stringMatching(/EISDIR/),
    });
    expect(t.fake.containers.get("archy-web")).toMatchObject({ id, state: "running" });
    // The owner's restart is refused for the same reason, and changes nothing either.
    const restarted = await t.settle((await r.restart("web")).done);
    expect(restarted.lastError).toMatch(/EISDIR/);
    expect(t.fake.containers.get("archy-web")).toMatchObject({ id, state: "running" });

    await rm(conf, { recursive: true });
    await writeFile(conf, "v1\n");
    expect((await t.settle(r.reconcileAll())).actions).toEqual([]);
    expect(await r.appStatus("web")).toMatchObject({ phase: "running", lastError: null });
    expect(t.fake.containers.get("archy-web")?.id).toBe(id);
  });

  it("hooks see the app's env and never leak secrets into errors", async () => {
    const r = t.make([
      t.app("web", {
        env: { API_TOKEN: "hunter22", GREETING: "hi" },
        hooks: [["sh", "-c", 'echo "$GREETING $API_TOKEN $ARCHY_APP_ID" >&2; exit 1']],
      }),
    ]);
    const report = await t.settle(r.reconcileAll());
    expect(report.failures[0]?.error).toMatch(/hi \*\*\* web/);
    expect(JSON.stringify(report)).not.toContain("hunter22");
  });
});
