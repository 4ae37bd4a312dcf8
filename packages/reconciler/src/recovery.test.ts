import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recoverAfterCrash } from "./recovery.js";
import type { ReconcilerEvent } from "./types.js";
import { reconcilerFixture } from "./test-helpers.js";

const t = reconcilerFixture();

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

  it("recoverAfterCrash starts what was running and is not, except apps desired stopped", async () => {
    const r = t.make([t.app("web"), t.app("db"), t.app("cache")]);
    await t.settle(r.reconcileAll());
    t.fake.addContainer({ name: "unmanaged", image: "localhost/web:1" });
    t.fake.addContainer({ name: "vanished", image: "localhost/web:1" });
    await t.settle(r.reconcileAll());
    const snapshot = await r.snapshotState();
    // A reboot: everything stopped; one container gone.
    for (const name of ["archy-web", "archy-db", "unmanaged"]) t.fake.crash(name);
    await t.fake.removeContainer("vanished", { force: true });
    const report = await recoverAfterCrash({
      runtime: t.fake,
      snapshot,
      desired: { db: "stopped" },
    });
    expect(report).toEqual({
      recovered: ["archy-web", "unmanaged"],
      alreadyRunning: ["archy-cache"],
      skipped: [{ name: "archy-db", reason: "app db is stopped by the owner" }],
      failed: [{ name: "vanished", error: "the container no longer exists" }],
    });
    expect(t.fake.containers.get("archy-db")?.state).toBe("exited");
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
    const errors: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (_o: object, m: string) => errors.push(m),
    };
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
