// The daemon's update checks on the fake runtime, virtual time: notify
// reports, auto applies inside its window only, a blocked image is never
// applied by a check.
import { describe, expect, it } from "vitest";
import type { ReconcilerEvent } from "../api/index.js";
import { reconcilerFixture } from "../test-helpers.js";

const REF = "reg.lan/shop/web:1";

describe("the daemon's update checks", () => {
  const f = reconcilerFixture([]);
  /** The registry answers what `fake.publish` put there last (the image id as its digest). */
  const lookup = async (ref: string) => `sha256:${published.get(ref)}`;
  const published = new Map<string, string>();
  const publish = (ref: string) => {
    const id = f.fake.publish(ref);
    published.set(ref, id);
    return id;
  };
  const setup = async (update: string) => {
    publish(REF);
    const r = f.make([f.app("web", { image: REF, update })]);
    await f.settle(r.reconcileAll());
    const events: ReconcilerEvent[] = [];
    r.subscribe((e) => e.type === "update" && events.push(e));
    return { r, events, before: f.fake.containers.get("archy-web")! };
  };

  it("notify: a newer image is reported (status and one event per digest), never applied", async () => {
    const { r, events, before } = await setup("{ policy: notify }");
    await f.settle(r.checkForUpdates(lookup));
    expect((await r.appStatus("web")).update).toBeNull();
    const newer = publish(REF);
    await f.settle(r.checkForUpdates(lookup));
    await f.settle(r.checkForUpdates(lookup));
    expect((await r.appStatus("web")).update).toMatchObject({
      state: "available",
      latest: `sha256:${newer}`,
    });
    expect(events).toMatchObject([
      { type: "update", app: "web", state: "available", latest: `sha256:${newer}` },
    ]);
    expect(f.fake.containers.get("archy-web")!.id).toBe(before.id);
  });

  it("auto: applied through the gate inside the window, not outside it", async () => {
    // START is 2026-11-22 12:00 UTC, a Sunday; the window is the next hour in local time.
    const local = new Date(f.clock.now());
    const hh = (h: number) => String(h % 24).padStart(2, "0");
    const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][local.getDay()];
    const later = `"${day} ${hh(local.getHours() + 2)}:00-${hh(local.getHours() + 3)}:00"`;
    const { r, before } = await setup(`{ policy: auto, gate: 2s, window: ${later} }`);
    const newer = publish(REF);
    await f.settle(r.checkForUpdates(lookup));
    expect(f.fake.containers.get("archy-web")!.id).toBe(before.id);
    expect((await r.appStatus("web")).update).toMatchObject({ state: "available" });
    await f.clock.advance(2 * 3_600_000);
    await f.settle(r.checkForUpdates(lookup));
    expect(f.fake.containers.get("archy-web")!.imageId).toBe(newer);
    expect((await r.appStatus("web")).update).toBeNull();
  });

  it("auto: an image that failed its gate is blocked, and 10 later checks do not apply it", async () => {
    const { r, before } = await setup("{ policy: auto, gate: 2s }");
    const bad = publish(REF);
    f.fake.setImageBehaviour(bad, { exitAfterMs: 500 });
    await f.settle(r.checkForUpdates(lookup));
    expect((await r.appStatus("web")).update).toMatchObject({ state: "rolled-back" });
    const calls = f.fake.calls.length;
    for (let i = 0; i < 10; i++) await f.settle(r.checkForUpdates(lookup));
    const after = f.fake.calls.slice(calls).map((c) => c.method);
    expect(after).not.toContain("pullImage");
    expect(after).not.toContain("runContainer");
    expect(f.fake.containers.get("archy-web")!.id).toBe(before.id);
    expect((await r.appStatus("web")).update).toMatchObject({ state: "rolled-back" });
  });
});
