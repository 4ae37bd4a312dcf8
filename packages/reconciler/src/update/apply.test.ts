// archy update on the fake runtime, virtual time: the gate, the rollback,
// blocked images, the strategies, and a crash at each journaled step.
import { describe, expect, it } from "vitest";
import { reconcilerFixture } from "../test-helpers.js";
import { UpdatesStore } from "../state/updates.js";
import { updateStrategy } from "./replace.js";

const REF = "reg.lan/shop/web:1";

describe("archy update: the gate and the rollback", () => {
  const f = reconcilerFixture([]);
  const setup = async (o: { ports?: string[]; health?: string } = {}) => {
    const oldId = f.fake.publish(REF);
    const app = f.app("web", { image: REF, update: "{ gate: 10s, timeout: 1m }", ...o });
    const r = f.make([app]);
    await f.settle(r.reconcileAll());
    const before = f.fake.containers.get("archy-web")!;
    expect(before.state).toBe("running");
    return { r, app, oldId, before };
  };
  const containers = () => [...f.fake.containers.keys()].sort();

  it("a good image: live after the gate, the old container and image gone, nothing newer afterwards", async () => {
    const { r, oldId, before } = await setup();
    const newId = f.fake.publish(REF);
    const handle = await r.update("web");
    expect(handle.status.phase).toBe("updating");
    const t0 = f.clock.now();
    const final = await f.settle(handle.done);
    expect(final).toMatchObject({ phase: "running", lastError: null });
    expect(f.clock.now() - t0).toBeGreaterThanOrEqual(10_000); // the gate held
    const now = f.fake.containers.get("archy-web")!;
    expect(now.imageId).toBe(newId);
    expect(now.id).not.toBe(before.id);
    expect(containers()).toEqual(["archy-web"]);
    expect(await f.fake.removeImage(oldId)).toBe(false); // already gone
    const updates = new UpdatesStore(f.dir);
    expect(await updates.last("web")).toMatchObject({ kind: "updated", from: oldId, to: newId });
    expect(await updates.journals()).toEqual({});
    // A pass afterwards leaves it alone: its hash is the new image's.
    await f.settle(r.reconcileAll());
    expect(f.fake.containers.get("archy-web")!.id).toBe(now.id);
    // Nothing newer: a second update changes nothing.
    const again = await f.settle((await r.update("web")).done);
    expect(again.lastError).toBeNull();
    expect(f.fake.containers.get("archy-web")!.id).toBe(now.id);
  });

  it("an image that exits during the gate: rolled back with the reason, the old container serves again, the image is blocked", async () => {
    const { r, oldId, before } = await setup({ ports: ["18080:8080"] });
    const badId = f.fake.publish(REF);
    f.fake.setImageBehaviour(badId, { exitAfterMs: 4_000, exitCode: 3 });
    const final = await f.settle((await r.update("web")).done);
    expect(final.phase).toBe("running");
    expect(final.lastError).toMatch(
      /^rolled back: the new image failed its gate: archy-web exited \(code 3\) \d+\.\d s into the gate/,
    );
    expect(final.lastErrorCode).toBe("EROLLEDBACK");
    const back = f.fake.containers.get("archy-web")!;
    expect(back.id).toBe(before.id); // the same container: a start, not a re-create
    expect(back.state).toBe("running");
    expect(containers()).toEqual(["archy-web"]);
    // The tag points at the old image again: a pass does not recreate toward the bad one.
    expect(await f.fake.imageId(REF)).toBe(oldId);
    await f.settle(r.reconcileAll());
    expect(f.fake.containers.get("archy-web")!.id).toBe(before.id);
    const updates = new UpdatesStore(f.dir);
    expect(await updates.blocked("web")).toMatchObject([{ imageId: badId }]);
    // Blocked: a later update pulls it, says so and changes nothing.
    const refused = await f.settle((await r.update("web")).done);
    expect(refused.lastErrorCode).toBe("EUPDATEBLOCKED");
    expect(refused.lastError).toMatch(/is blocked: it failed its gate .*archy update unblock web/);
    expect(f.fake.containers.get("archy-web")!.id).toBe(before.id);
    expect(await f.fake.imageId(REF)).toBe(oldId);
    // Unblocked, it is tried again (and fails again).
    expect(await r.unblockUpdates("web")).toBe(1);
    const retried = await f.settle((await r.update("web")).done);
    expect(retried.lastErrorCode).toBe("EROLLEDBACK");
  });

  it("an image that never turns healthy: rolled back; start-first kept the old one serving throughout", async () => {
    const { r, before } = await setup({
      health: "{ http: { port: 8080 }, interval: 1s, retries: 2, start_period: 1s }",
    });
    const badId = f.fake.publish(REF);
    f.fake.setImageBehaviour(badId, { health: ["unhealthy"] });
    const calls = f.fake.calls.length;
    const final = await f.settle((await r.update("web")).done);
    expect(final.lastErrorCode).toBe("EROLLEDBACK");
    expect(final.lastError).toMatch(/healthy/);
    // Start-first: the old container was renamed and renamed back, never stopped.
    const during = f.fake.calls.slice(calls).map((c) => `${c.method} ${String(c.args[0])}`);
    expect(
      during.filter((c) => c.startsWith("stopContainer") || c.startsWith("startContainer ")),
    ).toEqual([]);
    expect(during).toContain("renameContainer archy-web");
    expect(f.fake.containers.get("archy-web")!.id).toBe(before.id);
    expect(containers()).toEqual(["archy-web"]);
  });

  it("the strategy: stop-first for a host port or a written volume, else start-first", () => {
    expect(updateStrategy(f.app("a", { ports: ["80:80"] })).strategy).toBe("stop-first");
    expect(updateStrategy(f.app("b")).strategy).toBe("start-first");
  });
});

describe("archy update: a crash at any step leaves exactly one container, the old or the new", () => {
  const f = reconcilerFixture([]);
  /** The update hangs at the `nth` call of `method` (the process "dies" there); a new process recovers. */
  const crashAt = async (
    method: "renameContainer" | "runContainer" | "getContainerStatus" | "removeContainer",
    match: (name: unknown) => boolean,
    o: { bad?: boolean; ports?: string[] } = {},
  ) => {
    const oldId = f.fake.publish(REF);
    const app = f.app("web", { image: REF, update: "{ gate: 10s, timeout: 1m }", ports: o.ports });
    const first = f.make([app]);
    await f.settle(first.reconcileAll());
    const before = f.fake.containers.get("archy-web")!;
    const newId = f.fake.publish(REF);
    if (o.bad) f.fake.setImageBehaviour(newId, { exitAfterMs: 2_000 });
    let hung = false;
    f.fake.hangNext(method, { match: (name) => match(name) && (hung = true) });
    void (await first.update("web")).done.catch(() => undefined);
    // It hangs there for good: the process is gone.
    for (let i = 0; !hung; i++) {
      if (i > 5_000) throw new Error(`the update never reached ${method}`);
      await f.clock.advance(10);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const journal = await new UpdatesStore(f.dir).journals();
    const second = f.make([app]);
    await f.settle(second.reconcileAll());
    const names = [...f.fake.containers.keys()].sort();
    const web = f.fake.containers.get("archy-web");
    return { names, web, before, oldId, newId, journal, updates: new UpdatesStore(f.dir) };
  };

  it("cut while the old one is renamed (stop-first): the old one is started again", async () => {
    const r = await crashAt("renameContainer", (n) => n === "archy-web", { ports: ["80:80"] });
    expect(r.journal.web?.step).toBe("replacing");
    expect(r.names).toEqual(["archy-web"]);
    expect(r.web).toMatchObject({ id: r.before.id, state: "running", imageId: r.oldId });
    expect(await f.fake.imageId(REF)).toBe(r.oldId);
  });

  it("cut while the new one is created: the kept one gets its name back and runs", async () => {
    const r = await crashAt(
      "runContainer",
      (spec) => (spec as { name: string }).name === "archy-web",
    );
    expect(r.names).toEqual(["archy-web"]);
    expect(r.web).toMatchObject({ id: r.before.id, state: "running" });
  });

  it("cut during the gate: the new one goes, the old one comes back; nothing is blocked (not judged)", async () => {
    let seen = 0;
    const r = await crashAt("getContainerStatus", (n) => n === "archy-web" && ++seen === 3);
    expect(r.journal.web?.step).toBe("replacing");
    expect(r.names).toEqual(["archy-web"]);
    expect(r.web).toMatchObject({ id: r.before.id, state: "running" });
    expect(await r.updates.blocked("web")).toEqual([]);
  });

  it("cut after the gate passed: the kept one is removed, the new one stays", async () => {
    const r = await crashAt("removeContainer", (n) => n === "archy-web.prev");
    expect(r.journal.web?.step).toBe("gate-passed");
    expect(r.names).toEqual(["archy-web"]);
    expect(r.web).toMatchObject({ imageId: r.newId, state: "running" });
    expect(await r.updates.last("web")).toMatchObject({ kind: "updated", to: r.newId });
  });

  it("cut while rolling back: the rollback is finished and the image blocked", async () => {
    const r = await crashAt("removeContainer", (n) => n === "archy-web", { bad: true });
    expect(r.journal.web?.step).toBe("rolling-back");
    expect(r.names).toEqual(["archy-web"]);
    expect(r.web).toMatchObject({ id: r.before.id, state: "running", imageId: r.oldId });
    expect(await r.updates.blocked("web")).toMatchObject([{ imageId: r.newId }]);
  });
});

describe("archy update: dependents", () => {
  const f = reconcilerFixture(["localhost/api:1", "localhost/web:1"]);

  it("after an update the apps that depend on it restart, in dependency order; after a start-first rollback they are left alone", async () => {
    f.fake.publish(REF);
    const db = f.app("db", { image: REF, update: "{ gate: 2s }" });
    const api = f.app("api", { deps: ["db"] });
    const web = f.app("web", { deps: ["api"] });
    const r = f.make([db, api, web]);
    await f.settle(r.reconcileAll());
    const started = () =>
      ["api", "web"].map((id) => f.fake.containers.get(`archy-${id}`)!.startedAt);
    const before = started();
    f.fake.publish(REF);
    const calls = f.fake.calls.length;
    expect((await f.settle((await r.update("db")).done)).lastError).toBeNull();
    const after = started();
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    const restarts = f.fake.calls
      .slice(calls)
      .filter((c) => c.method === "startContainer")
      .map((c) => c.args[0]);
    expect(restarts).toEqual(["archy-api", "archy-web"]);

    const bad = f.fake.publish(REF);
    f.fake.setImageBehaviour(bad, { exitAfterMs: 500 });
    expect((await f.settle((await r.update("db")).done)).lastErrorCode).toBe("EROLLEDBACK");
    expect(started()).toEqual(after); // db (start-first) never stopped: nothing to restart for
  });
});
