// Seen in the kill -9 torture: archy's process group was killed while its
// `podman stop` waited out worker's stop timeout; podman's record kept the
// container `stopping` for ever, every pass left it "for the next pass", and
// the app stayed down, desired running, until someone ran podman stop.
import { PodmanCommandError } from "@archy/runtime-podman";
import { describe, expect, it } from "vitest";
import { plan } from "./planner.js";
import { LABEL_APP } from "../manifest/spec.js";
import { reconcilerFixture } from "../test-helpers.js";
import type { AppHistory } from "../types.js";

const t = reconcilerFixture();

describe("a container podman left stopping or removing", () => {
  const stuckInput = async (
    state: "stopping" | "removing",
    forMs: number,
    desired: "running" | "stopped" = "running",
  ) => {
    const app = t.app("web"); // stop_timeout 1s
    const c = t.fake.addContainer(
      { name: "archy-web", image: "localhost/web:1", labels: { [LABEL_APP]: "web" } },
      "running",
    );
    const status = { ...(await t.fake.getContainerStatus("archy-web"))!, state };
    t.fake.containers.delete("archy-web");
    const history: AppHistory = {
      failures: 0,
      nextRetryAt: null,
      healthySince: null,
      podmanBusy: { container: c.id, state, since: 1_000_000 - forMs },
    };
    return plan({
      apps: [app],
      observed: { web: { container: status, wantedHash: null, health: null } },
      desired: { web: desired },
      now: 1_000_000,
      history: { web: history },
    });
  };

  it("is left to podman within its stop timeout and a grace of 5 s", async () => {
    const p = await stuckInput("stopping", 5_900);
    expect(p.actions).toEqual([]);
    expect(p.skipped[0]?.reason).toMatch(/podman is busy with it \(stopping\)/);
  });

  it("past them: stopping is restarted (desired running) or stopped again (desired stopped); removing is recreated", async () => {
    expect((await stuckInput("stopping", 6_100)).actions).toMatchObject([
      { kind: "restart", reason: "stopping for 6 s: the podman doing it is gone" },
    ]);
    expect((await stuckInput("stopping", 6_100, "stopped")).actions).toMatchObject([
      { kind: "stop" },
    ]);
    expect((await stuckInput("removing", 60_000)).actions).toMatchObject([
      { kind: "recreate", reason: "removing for 60 s: the podman doing it is gone" },
    ]);
  });

  it("a daemon's passes time it from when they first see it, and the restart brings the app back", async () => {
    const r = t.make([t.app("web")]);
    await t.settle(r.reconcileAll());
    t.fake.containers.get("archy-web")!.state = "stopping";
    const first = await t.settle(r.reconcileAll());
    expect(first.actions).toEqual([]);
    // The daemon's loop wakes for a pass when it counts as stuck, not an interval later.
    expect(r.nextWakeAt()).toBe(t.clock.now() + 1_000 + 5_000);
    await t.clock.advance(6_500);
    const later = await t.settle(r.reconcileAll());
    expect(later.actions.map((a) => [a.kind, a.ok])).toEqual([["restart", true]]);
    expect(t.fake.calls.filter((c) => c.method === "stopContainer")).toHaveLength(1);
    expect(await r.appStatus("web")).toMatchObject({ phase: "running" });
  });

  it("a removal cut short (in podman's records, not in its storage) is finished with rm --force and the app recreated", async () => {
    const r = t.make([t.app("web")]);
    await t.settle(r.reconcileAll());
    const gone = t.fake.containers.get("archy-web")!;
    gone.state = "removing";
    await t.settle(r.reconcileAll());
    await t.clock.advance(6_500);
    // podman's inspect of it, as seen after a podman rm killed half-way.
    t.fake.failNext(
      "getContainerStatus",
      new PodmanCommandError(
        ["container", "inspect", "archy-web"],
        125,
        `Error: getting container from store "${gone.id}": container not known`,
      ),
    );
    const report = await t.settle(r.reconcileAll());
    expect(report.actions.map((a) => [a.kind, a.ok, a.error])).toEqual([
      ["recreate", true, undefined],
    ]);
    expect(t.fake.containers.get("archy-web")?.id).not.toBe(gone.id);
    expect(await r.appStatus("web")).toMatchObject({ phase: "running" });
  });
});
