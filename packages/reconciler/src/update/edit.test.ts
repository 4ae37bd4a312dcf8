// A manifest edit of a running app on the fake runtime, virtual time: through
// the gate; a broken one rolled back and not retried until the manifest changes.
import { describe, expect, it } from "vitest";
import { reconcilerFixture } from "../test-helpers.js";

describe("a manifest edit of a running app goes through the same gate", () => {
  const f = reconcilerFixture(["localhost/web:1"]);
  const web = (env: Record<string, string>) =>
    f.app("web", { env, update: "{ gate: 5s, timeout: 1m }" });

  it("a good edit: the app shows updating, the new container is live after the gate, the old one gone", async () => {
    const r = f.make([web({ V: "1" })]);
    await f.settle(r.reconcileAll());
    const before = f.fake.containers.get("archy-web")!;
    const phases: string[] = [];
    r.subscribe((e) => e.type === "phase" && e.app === "web" && phases.push(e.phase));
    const edited = f.make([web({ V: "2" })]);
    const t0 = f.clock.now();
    const report = await f.settle(edited.reconcileAll());
    expect(report.actions).toMatchObject([{ app: "web", kind: "recreate", ok: true }]);
    expect(f.clock.now() - t0).toBeGreaterThanOrEqual(5_000);
    const now = f.fake.containers.get("archy-web")!;
    expect(now.id).not.toBe(before.id);
    expect(now.spec.env).toMatchObject({ V: "2" });
    expect([...f.fake.containers.keys()]).toEqual(["archy-web"]);
  });

  it("a broken edit: the old container runs on, the app says why, the edit is not retried until the manifest changes", async () => {
    const r = f.make([web({ V: "1" })]);
    await f.settle(r.reconcileAll());
    const before = f.fake.containers.get("archy-web")!;
    const broken = f.make([web({ V: "broken" })]);
    f.fake.setBehaviour("archy-web", { exitAfterMs: 2_000, exitCode: 78 });
    const report = await f.settle(broken.reconcileAll());
    expect(report.actions).toMatchObject([{ app: "web", kind: "recreate", ok: false }]);
    expect(report.actions[0]!.error).toMatch(
      /^rolled back: the edited manifest's container failed its gate: archy-web exited \(code 78\)/,
    );
    const back = f.fake.containers.get("archy-web")!;
    expect(back).toMatchObject({ id: before.id, state: "running" });
    expect((await broken.appStatus("web")).lastErrorCode).toBe("EROLLEDBACK");

    // The next passes leave it alone, and say so.
    const calls = f.fake.calls.length;
    const next = await f.settle(broken.reconcileAll());
    expect(next.actions).toEqual([]);
    expect(next.failures[0]!.error).toMatch(
      /the manifest's last edit was rolled back \(archy-web exited/,
    );
    expect(f.fake.calls.slice(calls).map((c) => c.method)).not.toContain("runContainer");
    expect(f.fake.containers.get("archy-web")!.id).toBe(before.id);

    // A new edit is tried.
    f.fake.setBehaviour("archy-web", {});
    const fixed = f.make([web({ V: "3" })]);
    const third = await f.settle(fixed.reconcileAll());
    expect(third.actions).toMatchObject([{ kind: "recreate", ok: true }]);
    expect(f.fake.containers.get("archy-web")!.spec.env).toMatchObject({ V: "3" });
  });
});
