// Low on disk (the daemon's disk watch): pulls are refused, an image that is
// here already is used, an update does not begin, and the notices say why.
import { describe, expect, it } from "vitest";
import { reconcilerFixture } from "../test-helpers.js";

const t = reconcilerFixture(["localhost/web:1"]);
const WHY = "the podman storage (/s) has 0.5 GiB free of 100.0 GiB, under 1.0 GiB";

describe("pulls refused", () => {
  it("an app whose image is absent is not pulled, and fails saying why; one whose image is here starts", async () => {
    const r = t.make([t.app("web"), t.app("api", { image: "reg.lan/api:1" })]);
    r.refusePulls(WHY);
    const report = await t.settle(r.reconcileAll());
    expect(t.fake.calls.filter((c) => c.method === "pullImage")).toEqual([]);
    expect(report.failures).toEqual([{ app: "api", error: `not pulling reg.lan/api:1: ${WHY}` }]);
    expect(t.fake.containers.get("archy-web")?.state).toBe("running");
    expect(await r.notices()).toEqual([`pulls are refused: ${WHY}`]);
    r.refusePulls(null);
    await t.settle(r.reconcileAll());
    expect(t.fake.calls.filter((c) => c.method === "pullImage")).toHaveLength(1);
    expect(await r.notices()).toEqual([]);
  });

  it("an update does not begin", async () => {
    const r = t.make([t.app("web", { image: "reg.lan/web:1" })]);
    t.fake.publish("reg.lan/web:1");
    await t.settle(r.reconcileAll());
    r.refusePulls(WHY);
    const pulls = () => t.fake.calls.filter((c) => c.method === "pullImage").length;
    const before = pulls();
    const final = await t.settle((await r.update("web")).done);
    expect(final.lastError).toBe(`not pulling reg.lan/web:1: ${WHY}`);
    expect(pulls()).toBe(before);
  });
});
