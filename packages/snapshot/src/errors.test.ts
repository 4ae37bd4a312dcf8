import { describe, expect, it } from "vitest";
import * as errors from "./errors.js";
import { SnapshotCorruptError, SnapshotError, SnapshotVersionError } from "./errors.js";

/**
 * A second installed copy of this module: its own classes, the same
 * `Symbol.for` markers. (The query string makes vitest load the file again as
 * another module; a variable keeps tsc from resolving it.)
 */
const secondCopy = "./errors.js?second-copy";
const loadCopy = async () => (await import(secondCopy)) as typeof errors;

const samples = (m: typeof errors) =>
  [
    [m.SnapshotCorruptError, new m.SnapshotCorruptError("/s", "bad JSON")],
    [m.SnapshotVersionError, new m.SnapshotVersionError("/s", 9, 1, "newer")],
  ] as const;

describe("snapshot errors: each class recognisable on its own", () => {
  it("a second copy of the module really has other classes", async () => {
    const copy = await loadCopy();
    expect(copy.SnapshotCorruptError).not.toBe(SnapshotCorruptError);
    expect(new copy.SnapshotCorruptError("/s", "x")).not.toBeInstanceOf(SnapshotCorruptError);
  });

  it("a class accepts its own instances, from either copy, and not the other class's", async () => {
    const here = samples(errors);
    const there = samples(await loadCopy());
    for (const [i, [cls]] of here.entries())
      for (const [j, [, error]] of [...here.entries(), ...there.entries()])
        expect(cls.isInstance(error), `${cls.name}.isInstance(${error.name})`).toBe(i === j);
  });

  it("SnapshotError accepts both subclasses, from either copy", async () => {
    const copy = await loadCopy();
    for (const [, error] of [...samples(errors), ...samples(copy)])
      expect(SnapshotError.isInstance(error)).toBe(true);
    expect(copy.SnapshotError.isInstance(new SnapshotVersionError("/s", 2, 1, "x"))).toBe(true);
  });

  it("a plain object with the marker passes; a look-alike with the code and archy brand does not", () => {
    expect(
      SnapshotVersionError.isInstance({
        [Symbol.for("archy.snapshot.error.SnapshotVersionError")]: true,
      }),
    ).toBe(true);
    const lookAlike = Object.assign(new Error("x"), {
      code: "ESNAPSHOTCORRUPT",
      [Symbol.for("archy.error")]: true,
    });
    expect(SnapshotCorruptError.isInstance(lookAlike)).toBe(false);
    expect(SnapshotError.isInstance(lookAlike)).toBe(false);
    expect(SnapshotError.isInstance(undefined)).toBe(false);
  });

  it("keeps code, name, cause, fields and the shared archy brand", () => {
    const cause = new SyntaxError("Unexpected end of JSON input");
    const e = new SnapshotCorruptError("/s", "bad JSON", { cause });
    expect(e).toMatchObject({ code: "ESNAPSHOTCORRUPT", name: "SnapshotCorruptError", path: "/s" });
    expect(e.cause).toBe(cause);
    expect(e.reason).toBe("bad JSON");
    expect(new SnapshotVersionError("/s", 9, 1, "newer")).toMatchObject({
      code: "ESNAPSHOTVERSION",
      name: "SnapshotVersionError",
      found: 9,
      expected: 1,
    });
    expect((e as unknown as Record<symbol, unknown>)[Symbol.for("archy.error")]).toBe(true);
  });
});
