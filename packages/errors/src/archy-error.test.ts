import { describe, expect, it } from "vitest";
import type * as module from "./archy-error.js";
import { ArchyError } from "./archy-error.js";

/**
 * A second installed copy of this module: its own ArchyError class, the same
 * `Symbol.for` markers. (The query string makes vitest load the file again as
 * another module; a variable keeps tsc from resolving it.)
 */
const secondCopy = "./archy-error.js?second-copy";
const loadCopy = async () => (await import(secondCopy)) as typeof module;

/**
 * A package's errors as that package would declare them on one copy of the
 * base: a package base, two subclasses, and one subclass that forgets its marker.
 */
function declarePackage(Base: typeof ArchyError) {
  type Code = "EONE" | "ETWO";
  class DemoError extends Base<Code> {
    static override readonly marker: string = "archy.demo.error.DemoError";
    override readonly name: string = "DemoError";
  }
  class OneError extends DemoError {
    static override readonly marker = "archy.demo.error.OneError";
    override readonly name = "OneError";
    declare readonly code: "EONE";
    constructor(readonly detail: string) {
      super("EONE", `one: ${detail}`);
    }
  }
  class TwoError extends DemoError {
    static override readonly marker = "archy.demo.error.TwoError";
    override readonly name = "TwoError";
    declare readonly code: "ETWO";
    constructor(options?: { cause?: unknown }) {
      super("ETWO", "two", options);
    }
  }
  class UnmarkedError extends DemoError {}
  return { DemoError, OneError, TwoError, UnmarkedError };
}

describe("ArchyError: recognisable across installed copies", () => {
  it("a second copy of the module really has another class", async () => {
    const copy = await loadCopy();
    expect(copy.ArchyError).not.toBe(ArchyError);
    expect(new copy.ArchyError("EX", "x")).not.toBeInstanceOf(ArchyError);
    expect(new ArchyError("EX", "x")).not.toBeInstanceOf(copy.ArchyError);
  });

  it("the base accepts a base error of either copy", async () => {
    const copy = await loadCopy();
    for (const e of [new ArchyError("EX", "here"), new copy.ArchyError("EX", "there")]) {
      expect(ArchyError.isInstance(e)).toBe(true);
      expect(copy.ArchyError.isInstance(e)).toBe(true);
    }
  });

  it("a subclass accepts its own instances from either copy, and no sibling's or parent's", async () => {
    const here = declarePackage(ArchyError);
    const there = declarePackage((await loadCopy()).ArchyError);
    const errors = (p: typeof here) => ({
      one: new p.OneError("d"),
      two: new p.TwoError(),
      demo: new p.DemoError("EONE", "bare"),
    });
    for (const [a, b] of [
      [here, there],
      [there, here],
    ] as const) {
      const e = errors(b);
      expect(a.OneError.isInstance(e.one)).toBe(true);
      expect(a.OneError.isInstance(e.two)).toBe(false);
      expect(a.OneError.isInstance(e.demo)).toBe(false);
      expect(a.TwoError.isInstance(e.two)).toBe(true);
      expect(a.TwoError.isInstance(e.one)).toBe(false);
      for (const error of Object.values(e)) {
        expect(a.DemoError.isInstance(error), error.name).toBe(true);
        expect(ArchyError.isInstance(error), error.name).toBe(true);
      }
    }
  });

  it("a subclass without a marker of its own is recognised as its parent; its isInstance throws", () => {
    const { DemoError, OneError, UnmarkedError } = declarePackage(ArchyError);
    const e = new UnmarkedError("ETWO", "no marker");
    expect(DemoError.isInstance(e)).toBe(true);
    expect(OneError.isInstance(e)).toBe(false);
    expect(() => UnmarkedError.isInstance(e)).toThrow(
      /UnmarkedError declares no static marker of its own/,
    );
  });

  it("reads only the marker: a plain object with it passes; the code, name or another brand does not", () => {
    const { OneError, DemoError } = declarePackage(ArchyError);
    expect(OneError.isInstance({ [Symbol.for("archy.demo.error.OneError")]: true })).toBe(true);
    expect(ArchyError.isInstance({ [Symbol.for("archy.error")]: true })).toBe(true);
    const lookAlike = Object.assign(new Error("one: d"), {
      name: "OneError",
      code: "EONE",
      [Symbol.for("archy.error")]: true,
    });
    expect(OneError.isInstance(lookAlike)).toBe(false);
    expect(DemoError.isInstance(lookAlike)).toBe(false);
    expect(ArchyError.isInstance(lookAlike)).toBe(true);
    expect(OneError.isInstance({ [Symbol.for("archy.demo.error.OneError")]: "yes" })).toBe(false);
    for (const value of [null, undefined, "EONE", 1, new Error("x")])
      expect(ArchyError.isInstance(value)).toBe(false);
  });

  it("narrows to the class it is called on", () => {
    const { OneError } = declarePackage(ArchyError);
    const error: unknown = new OneError("narrowed");
    if (!OneError.isInstance(error)) throw new Error("not a OneError");
    // `detail` and the literal code are OneError's: this line typechecks only when narrowed.
    const fields: [string, "EONE"] = [error.detail, error.code];
    expect(fields).toEqual(["narrowed", "EONE"]);
  });

  it("called on a union of classes, narrows to the union of their instances", () => {
    const { OneError, TwoError } = declarePackage(ArchyError);
    const samples = [
      [OneError, new OneError("d")],
      [TwoError, new TwoError()],
    ] as const;
    for (const [cls, sample] of samples) {
      const error: unknown = sample;
      if (!cls.isInstance(error)) throw new Error(`not a ${cls.name}`);
      // `code` of either class: this line typechecks only when narrowed to OneError | TwoError.
      const code: "EONE" | "ETWO" = error.code;
      expect(code).toBe(sample.code);
    }
  });
});

describe("ArchyError: code, name, message, cause", () => {
  it("keeps code, name, message and the stack of a real Error", () => {
    const { OneError } = declarePackage(ArchyError);
    const e = new OneError("d");
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ code: "EONE", name: "OneError", message: "one: d", detail: "d" });
    expect(e.stack).toMatch(/one: d\n {4}at /);
    expect(new ArchyError("EX", "x")).toMatchObject({ name: "ArchyError", code: "EX" });
  });

  it("a cause when one is given, and no cause property otherwise", () => {
    const { TwoError } = declarePackage(ArchyError);
    const cause = new Error("io");
    expect(new TwoError({ cause }).cause).toBe(cause);
    expect(new ArchyError("EX", "x", { cause: "text" }).cause).toBe("text");
    expect(Object.hasOwn(new TwoError(), "cause")).toBe(false);
    expect(Object.hasOwn(new TwoError({ cause: undefined }), "cause")).toBe(false);
  });

  it("every marker is an own enumerable `true`, so a copy made with the spread keeps them", () => {
    const { OneError, DemoError } = declarePackage(ArchyError);
    const spread = { ...new OneError("d") };
    expect(OneError.isInstance(spread)).toBe(true);
    expect(DemoError.isInstance(spread)).toBe(true);
    expect(ArchyError.isInstance(spread)).toBe(true);
  });
});
