// An app the kernel killed for memory stops with reason `oom` (SPEC section
// 4), whether a died event or a pass finds it, and its back-off says so.
import type { ContainerEvent } from "@archy/runtime-podman";
import type { ReconcilerEvent } from "../index.js";
import { describe, expect, it } from "vitest";
import { reconcilerFixture } from "../test-helpers.js";

const t = reconcilerFixture();

/** The kernel kills the app's container for memory; returns podman's `died` event. */
async function oomKill(name: string): Promise<ContainerEvent> {
  const ac = new AbortController();
  const events = t.fake.events({ signal: ac.signal })[Symbol.asyncIterator]();
  let next = events.next();
  t.fake.oomKill(name);
  for (; ; next = events.next()) {
    const { value } = await next;
    if ((value as ContainerEvent).status === "died") {
      ac.abort();
      return value as ContainerEvent;
    }
  }
}

describe("killed for memory", () => {
  it("a died event: reason oom in the status and the event stream, the limit in the reason", async () => {
    const r = t.make([t.app("web", { policy: "no", resources: "{ memory: 64m }" })]);
    await t.settle(r.reconcileAll());
    const seen: ReconcilerEvent[] = [];
    r.subscribe((e) => seen.push(e));
    expect(await r.onDied(await oomKill("archy-web"))).toBe(true);
    await t.settle(r.idle());
    expect(await r.appStatus("web")).toMatchObject({ phase: "exited", stopReason: "oom" });
    expect(seen).toContainEqual(
      expect.objectContaining({ type: "phase", app: "web", phase: "exited", stopReason: "oom" }),
    );
    const report = await t.settle(r.reconcileAll());
    // One exit, one oom event: the pass after the died event does not announce it again.
    expect(seen.filter((e) => e.type === "oom")).toEqual([
      { type: "oom", app: "web", at: expect.any(String) },
    ]);
    expect(report.skipped).toContainEqual({
      app: "web",
      reason: "killed for memory (OOM: over its 64 MiB limit); restart policy is no",
      stopReason: "oom",
    });
  });

  it("a crash loop of OOM kills: an oom event for each; the back-off keeps reason oom and says why", async () => {
    const r = t.make([
      t.app("web", {
        resources: "{ memory: 64m }",
        backoff: "{ initial: 5s, max: 1m, reset: 1h }",
      }),
    ]);
    await t.settle(r.reconcileAll());
    let ooms = 0;
    r.subscribe((e) => void (e.type === "oom" && ooms++));
    expect(await r.onDied(await oomKill("archy-web"))).toBe(true);
    await t.clock.until(() => t.fake.containers.get("archy-web")?.state === "running");
    await t.settle(r.idle());
    expect(await r.onDied(await oomKill("archy-web"))).toBe(true);
    expect(await r.appStatus("web")).toMatchObject({ phase: "backoff", stopReason: "oom" });
    expect(ooms).toBe(2);
    const report = await t.settle(r.reconcileAll());
    expect(report.skipped[0]?.reason).toMatch(
      /^killed for memory \(OOM: over its 64 MiB limit\); back-off until /,
    );
  });

  it("found by a pass: one inspect for that exit, none in the passes after it; a plain SIGKILL is a crash", async () => {
    const r = t.make([t.app("web", { policy: "no" }), t.app("db", { policy: "no" })]);
    await t.settle(r.reconcileAll());
    const ooms: string[] = [];
    r.subscribe((e) => void (e.type === "oom" && ooms.push(e.app)));
    t.fake.oomKill("archy-web");
    t.fake.crash("archy-db", 137);
    const inspects = () => t.fake.calls.filter((c) => c.method === "getContainerStatus").length;
    const before = inspects();
    await t.settle(r.reconcileAll());
    expect(inspects() - before).toBe(2);
    expect(await r.appStatus("web")).toMatchObject({ stopReason: "oom" });
    expect(await r.appStatus("db")).toMatchObject({ stopReason: "crash" });
    await t.settle(r.reconcileAll());
    expect(inspects() - before).toBe(2);
    expect((await r.appStatus("web")).stopReason).toBe("oom");
    expect(ooms).toEqual(["web"]);
  });
});
