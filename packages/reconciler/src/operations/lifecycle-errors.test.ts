import { describe, expect, it, vi } from "vitest";
import type * as Errors from "../errors.js";
import { reconcilerFixture } from "../test-helpers.js";

// A failed operation resolves its handle with the reverted phase and the
// error's message; its code reaches no status, event or log line. To see
// the code, this file records every ReconcilerError the package raises.
const raised = vi.hoisted(() => [] as { code: string; message: string }[]);
vi.mock("../errors.js", async (importOriginal) => {
  const errors = await importOriginal<typeof Errors>();
  class RecordedReconcilerError extends errors.ReconcilerError {
    constructor(...args: ConstructorParameters<typeof errors.ReconcilerError>) {
      super(...args);
      raised.push({ code: this.code, message: this.message });
    }
  }
  return { ...errors, ReconcilerError: RecordedReconcilerError };
});

const t = reconcilerFixture();

describe("operations that cannot be carried out", () => {
  it("a name taken by a foreign container fails the start with code ENAMETAKEN and reverts the phase", async () => {
    const r = t.make([t.app("web")]);
    await t.settle(r.reconcileAll());
    await t.settle((await r.stop("web")).done);
    // Someone else's container takes the name.
    await t.fake.removeContainer("archy-web", { force: true });
    const foreign = t.fake.addContainer({ name: "archy-web", image: "localhost/web:1" }, "exited");
    const from = t.fake.mutatingCalls().length;
    raised.length = 0;

    const h = await r.start("web");
    expect(h.status.phase).toBe("starting");
    const final = await t.settle(h.done);
    expect(final).toMatchObject({
      phase: "stopped",
      stopReason: "user",
      desired: "running",
      lastError: expect.stringMatching(
        /^the name archy-web is taken by a container archy did not create/,
      ),
    });
    expect(raised).toEqual([{ code: "ENAMETAKEN", message: final.lastError }]);
    expect(t.fake.mutatingCalls().length).toBe(from);
    expect(t.fake.containers.get("archy-web")).toMatchObject({ id: foreign.id, state: "exited" });
  });

  it("a start whose dependency is stopped fails with code EDEPENDENCY and reverts the phase", async () => {
    const r = t.make([t.app("web", { deps: ["db"] }), t.app("db")]);
    await t.settle(r.reconcileAll());
    await t.settle((await r.stop("web")).done);
    await t.settle((await r.stop("db")).done);
    const from = t.fake.mutatingCalls().length;
    raised.length = 0;

    const final = await t.settle((await r.start("web")).done);
    expect(final).toMatchObject({
      phase: "stopped",
      stopReason: "user",
      lastError: "web waits for db (stopped)",
    });
    expect(raised.map((e) => e.code)).toEqual(["EDEPENDENCY"]);
    expect(t.fake.mutatingCalls().length).toBe(from);
  });
});
