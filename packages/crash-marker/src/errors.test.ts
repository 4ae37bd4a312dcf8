import { describe, expect, it } from "vitest";
import type * as errors from "./errors.js";
import { AlreadyRunningError, CrashMarkerError } from "./errors.js";

/**
 * A second installed copy of this module: its own classes, the same
 * `Symbol.for` markers. (The query string makes vitest load the file again as
 * another module; a variable keeps tsc from resolving it.)
 */
const secondCopy = "./errors.js?second-copy";
const loadCopy = async () => (await import(secondCopy)) as typeof errors;

describe("crash-marker errors: recognisable across installed copies", () => {
  it("a second copy of the module really has other classes", async () => {
    const copy = await loadCopy();
    expect(copy.AlreadyRunningError).not.toBe(AlreadyRunningError);
    expect(new copy.AlreadyRunningError(1, "/p")).not.toBeInstanceOf(AlreadyRunningError);
  });

  it("AlreadyRunningError and the base accept an instance of either copy", async () => {
    const copy = await loadCopy();
    for (const e of [
      new AlreadyRunningError(42, "/s/archy.pid"),
      new copy.AlreadyRunningError(42, "/s"),
    ]) {
      expect(AlreadyRunningError.isInstance(e)).toBe(true);
      expect(CrashMarkerError.isInstance(e)).toBe(true);
      expect(copy.AlreadyRunningError.isInstance(e)).toBe(true);
    }
  });

  it("the subclass refuses a bare base error; the base accepts it", () => {
    const base = new CrashMarkerError("EALREADYRUNNING", "x");
    expect(AlreadyRunningError.isInstance(base)).toBe(false);
    expect(CrashMarkerError.isInstance(base)).toBe(true);
  });

  it("a plain object with the markers passes; one with only the code or the archy brand does not", () => {
    expect(
      AlreadyRunningError.isInstance({
        [Symbol.for("archy.crash-marker.error.AlreadyRunningError")]: true,
      }),
    ).toBe(true);
    const lookAlike = Object.assign(new Error("x"), {
      code: "EALREADYRUNNING",
      [Symbol.for("archy.error")]: true,
    });
    expect(AlreadyRunningError.isInstance(lookAlike)).toBe(false);
    expect(CrashMarkerError.isInstance(lookAlike)).toBe(false);
    expect(CrashMarkerError.isInstance(null)).toBe(false);
    expect(CrashMarkerError.isInstance("EALREADYRUNNING")).toBe(false);
  });

  it("keeps code, name, fields and the shared archy brand", () => {
    const e = new AlreadyRunningError(42, "/s/archy.pid");
    expect(e).toMatchObject({ code: "EALREADYRUNNING", name: "AlreadyRunningError", pid: 42 });
    expect(e.path).toBe("/s/archy.pid");
    expect(e.message).toBe("another process (PID 42) holds /s/archy.pid");
    expect((e as unknown as Record<symbol, unknown>)[Symbol.for("archy.error")]).toBe(true);
    const cause = new Error("io");
    expect(new CrashMarkerError("EALREADYRUNNING", "x", { cause }).cause).toBe(cause);
  });
});
