import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recoverAfterCrash } from "./recovery.js";
import type { SnapshotState } from "../state/snapshot-state.js";
import { silentLogger, type ReconcilerEvent } from "../types.js";
import { errorLogger, reconcilerFixture } from "../test-helpers.js";

const t = reconcilerFixture();

/** A snapshot of unmanaged containers, all running. */
const snapshotOf = (names: string[]): SnapshotState => ({
  apps: [],
  containers: names.map((name) => ({
    name,
    id: `id-${name}`,
    image: "localhost/web:1",
    state: "running",
    app: null,
  })),
});

describe("snapshots and recovery", () => {
  it("snapshotState holds manifests, desired states and the running containers, managed or not", async () => {
    t.fake.addContainer({ name: "someone-elses", image: "localhost/web:1" });
    const r = t.make([t.app("web"), t.app("db")]);
    await t.settle(r.reconcileAll());
    await t.settle((await r.stop("db")).done);
    await t.settle(r.reconcileAll());
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

  it("recoverAfterCrash starts what was running and is not, except apps desired stopped, in one batched call", async () => {
    const r = t.make([t.app("web"), t.app("db"), t.app("cache")]);
    await t.settle(r.reconcileAll());
    t.fake.addContainer({ name: "unmanaged", image: "localhost/web:1" });
    t.fake.addContainer({ name: "vanished", image: "localhost/web:1" });
    await t.settle(r.reconcileAll());
    const snapshot = await r.snapshotState();
    // A reboot: everything stopped; one container gone.
    for (const name of ["archy-web", "archy-db", "unmanaged"]) t.fake.crash(name);
    await t.fake.removeContainer("vanished", { force: true });
    const before = t.fake.calls.length;
    const logged: string[] = [];
    const report = await recoverAfterCrash({
      runtime: t.fake,
      snapshot,
      desired: { db: "stopped" },
      logger: { ...silentLogger, info: (_o, m) => logged.push(m) },
    });
    expect(report).toEqual({
      recovered: ["archy-web", "unmanaged"],
      alreadyRunning: ["archy-cache"],
      skipped: [{ name: "archy-db", reason: "app db is stopped by the owner" }],
      failed: [{ name: "vanished", error: "the container no longer exists" }],
    });
    expect(t.fake.containers.get("archy-db")?.state).toBe("exited");
    expect(t.fake.containers.get("archy-web")?.state).toBe("running");
    // One list, then one start of every container to recover, 4 podman processes side by side.
    const calls = t.fake.calls.slice(before).map((c) => [c.method, ...c.args]);
    expect(calls).toEqual([
      ["listContainers", {}],
      ["startContainers", expect.arrayContaining(["archy-web", "unmanaged"]), { parallel: 4 }],
    ]);
    expect((calls[1]?.[1] as string[]).sort()).toEqual(["archy-web", "unmanaged"]);
    expect(logged.sort()).toEqual(["recovered archy-web", "recovered unmanaged"]);
  });

  it("recoverAfterCrash: a container that fails to start is reported and logged, the batch's others recover; nothing to start, no start call", async () => {
    for (const name of ["a", "b", "c"])
      t.fake.addContainer({ name, image: "localhost/web:1" }, "exited");
    const snapshot = snapshotOf(["a", "b", "c"]);
    t.fake.failNext("startContainers", undefined, { match: (name) => name === "b" });
    const warned: [object, string][] = [];
    const logger = { ...silentLogger, warn: (o: object, m: string) => warned.push([o, m]) };
    // One batch: b's failure leaves the batch's others started.
    const report = await recoverAfterCrash({
      runtime: t.fake,
      snapshot,
      desired: {},
      logger,
      concurrency: 1,
    });
    expect(report).toEqual({
      recovered: ["a", "c"],
      alreadyRunning: [],
      skipped: [],
      failed: [{ name: "b", error: "Error: scripted failure of startContainers" }],
    });
    expect(warned).toEqual([
      [
        { container: "b", error: "Error: scripted failure of startContainers" },
        "could not recover b",
      ],
    ]);
    expect(t.fake.calls.filter((c) => c.method === "startContainers")).toHaveLength(1);

    // Everything is running now but b: b alone is started; then nothing is.
    const one = { runtime: t.fake, snapshot, desired: {}, concurrency: 1 };
    expect((await recoverAfterCrash(one)).recovered).toEqual(["b"]);
    const again = await recoverAfterCrash(one);
    expect(again.alreadyRunning).toEqual(["a", "b", "c"]);
    expect(t.fake.calls.filter((c) => c.method === "startContainers")).toHaveLength(2);
  });

  it("recoverAfterCrash: its concurrency is the batched start's parallel podman processes", async () => {
    for (const name of ["a", "b", "c"])
      t.fake.addContainer({ name, image: "localhost/web:1" }, "exited");
    const report = await recoverAfterCrash({
      runtime: t.fake,
      snapshot: snapshotOf(["a", "b", "c"]),
      desired: {},
      concurrency: 2,
    });
    expect(report.recovered).toEqual(["a", "b", "c"]);
    expect(t.fake.calls.filter((c) => c.method === "startContainers").map((c) => c.args)).toEqual([
      [["a", "b", "c"], { parallel: 2 }],
    ]);
  });

  it("recoverAfterCrash: when the batched start fails as a whole, every container of it is reported failed", async () => {
    for (const name of ["a", "b"])
      t.fake.addContainer({ name, image: "localhost/web:1" }, "exited");
    const snapshot = snapshotOf(["a", "b"]);
    t.fake.hangNext("startContainers", { rejectAfterMs: 30_000 });
    const report = await t.settle(
      recoverAfterCrash({ runtime: t.fake, snapshot, desired: {}, concurrency: 1 }),
      1_000,
    );
    const error = "podman did not answer within 30000 ms: startContainers";
    expect(report).toEqual({
      recovered: [],
      alreadyRunning: [],
      skipped: [],
      failed: [
        { name: "a", error },
        { name: "b", error },
      ],
    });
  });
});

describe("resurrect", () => {
  it("writes the snapshot's manifests, persists and publishes the desired states, runs a pass; a second run changes nothing", async () => {
    // The snapshot: web running, db stopped by the owner, an unmanaged container running.
    t.fake.addContainer({ name: "unmanaged", image: "localhost/web:1" });
    const before = t.make([t.app("web"), t.app("db")]);
    await t.settle(before.reconcileAll());
    await t.settle((await before.stop("db")).done);
    const snap = await before.snapshotState();
    // Then web's container and the state are lost, and the unmanaged container stops.
    await t.fake.removeContainer("archy-web", { force: true });
    t.fake.crash("unmanaged");
    const stateDir = join(t.dir, "new-state");
    const manifestsDir = join(stateDir, "apps");
    const r = t.make([], { apps: undefined, manifestsDir, stateDir });
    const desired: [string, string][] = [];
    r.subscribe((e: ReconcilerEvent) => e.type === "desired" && desired.push([e.app, e.desired]));

    const first = await t.settle(r.resurrect(snap));
    expect(first.manifests).toEqual({ restored: ["db", "web"], unchanged: [] });
    expect((await readdir(manifestsDir)).sort()).toEqual(["db.yaml", "web.yaml"]);
    for (const a of snap.apps)
      expect(await readFile(join(manifestsDir, a.manifest.file), "utf8")).toBe(a.manifest.source);
    expect(JSON.parse(await readFile(join(stateDir, "desired.json"), "utf8")).data).toEqual({
      apps: { db: "stopped", web: "running" },
    });
    // web was desired running already (no entry): only db's intent changed.
    expect(desired).toEqual([["db", "stopped"]]);
    expect(first.report.actions.map((a) => [a.app, a.kind, a.ok])).toEqual([
      ["web", "create", true],
    ]);
    expect(first.recovery.recovered).toEqual(["unmanaged"]);
    expect((await r.status()).map((s) => [s.id, s.desired, s.phase])).toEqual([
      ["db", "stopped", "stopped"],
      ["web", "running", "running"],
    ]);

    const mutating = t.fake.mutatingCalls().length;
    const second = await t.settle(r.resurrect(snap));
    expect(second.manifests).toEqual({ restored: [], unchanged: ["db", "web"] });
    expect(second.report.actions).toEqual([]);
    expect(second.recovery.recovered).toEqual([]);
    expect(desired).toEqual([["db", "stopped"]]);
    expect(t.fake.mutatingCalls().length).toBe(mutating);
  });
});

describe("notices", () => {
  it("a corrupt desired.json is kept aside: notices() reports it and the log has an error", async () => {
    await writeFile(join(t.dir, "desired.json"), "{ this is not json");
    const { errors, logger } = errorLogger();
    const r = t.make([t.app("web")], { logger });
    const notices = await r.notices();
    expect(notices).toEqual([
      expect.stringMatching(
        /^desired\.json was corrupt and is kept aside as .+; there was no good backup: every app is desired running/,
      ),
    ]);
    expect(errors).toEqual(notices);
    expect((await r.appStatus("web")).desired).toBe("running");
    expect(await r.notices()).toEqual(notices);
  });

  it("no notice when the state is sound", async () => {
    const r = t.make([t.app("web")]);
    expect(await r.notices()).toEqual([]);
  });
});
