import { describe, expect, it } from "vitest";
import { createCoalescer, type SyncKind } from "./coalesce.js";

/** A fetch the test finishes by hand. */
function manual() {
  const calls: { kind: SyncKind; resolve(): void; reject(e: Error): void }[] = [];
  const run = (kind: SyncKind) =>
    new Promise<void>((resolve, reject) => calls.push({ kind, resolve, reject }));
  return { calls, run };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("createCoalescer", () => {
  it("runs at once when idle", async () => {
    const m = manual();
    const c = createCoalescer(m.run);
    const done = c.request("apps");
    expect(m.calls.map((x) => x.kind)).toEqual(["apps"]);
    m.calls[0]!.resolve();
    await done;
    expect(c.runs).toBe(1);
  });

  it("turns a burst into one fetch in flight and one queued", async () => {
    const m = manual();
    const c = createCoalescer(m.run);
    const first = c.request("apps");
    const burst = Array.from({ length: 50 }, () => c.request("apps"));
    expect(m.calls).toHaveLength(1);
    m.calls[0]!.resolve();
    await first;
    await tick();
    expect(m.calls).toHaveLength(2); // the queued one, for the whole burst
    let settled = 0;
    for (const p of burst) void p.then(() => settled++);
    await tick();
    expect(settled).toBe(0); // they wait for a fetch that began after them
    m.calls[1]!.resolve();
    await Promise.all(burst);
    expect(c.runs).toBe(2);
  });

  it("makes the queued fetch full when any request in it was", async () => {
    const m = manual();
    const c = createCoalescer(m.run);
    void c.request("apps");
    const a = c.request("apps");
    const b = c.request("full");
    const d = c.request("apps");
    m.calls[0]!.resolve();
    await tick();
    expect(m.calls.map((x) => x.kind)).toEqual(["apps", "full"]);
    m.calls[1]!.resolve();
    await Promise.all([a, b, d]);
  });

  it("rejects the requests of a failed fetch, and goes on with the queued one", async () => {
    const m = manual();
    const c = createCoalescer(m.run);
    const first = c.request("full");
    const queued = c.request("apps");
    m.calls[0]!.reject(new Error("HTTP 500"));
    await expect(first).rejects.toThrow("HTTP 500");
    await tick();
    m.calls[1]!.resolve();
    await expect(queued).resolves.toBeUndefined();
    // Idle again: the next request runs at once.
    void c.request("apps");
    expect(m.calls).toHaveLength(3);
  });

  it("survives a fetch that throws before returning a promise", async () => {
    let n = 0;
    const c = createCoalescer(() => {
      if (n++ === 0) throw new Error("boom");
      return Promise.resolve();
    });
    await expect(c.request("apps")).rejects.toThrow("boom");
    await expect(c.request("apps")).resolves.toBeUndefined();
  });
});
