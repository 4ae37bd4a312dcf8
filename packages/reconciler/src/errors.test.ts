import { describe, expect, it } from "vitest";
import * as errors from "./errors.js";
import {
  ManifestInvalidError,
  ReconcilerError,
  StartFailedError,
  UnknownAppError,
} from "./errors.js";
import { HookError } from "./pass/hooks.js";

/**
 * A second installed copy of this module: its own classes, the same
 * `Symbol.for` markers. (The query string makes vitest load the file again as
 * another module; a variable keeps tsc from resolving it.)
 */
const secondCopy = "./errors.js?second-copy";
const loadCopy = async () => (await import(secondCopy)) as typeof errors;

const manifestError = { file: "a.yaml", line: 1, column: 2, path: "app", message: "m" };
const samples = (m: typeof errors) =>
  [
    [m.ManifestInvalidError, new m.ManifestInvalidError([manifestError])],
    [m.UnknownAppError, new m.UnknownAppError("nope")],
    [m.StartFailedError, new m.StartFailedError("web", "exited 1 s after its start", "crash")],
  ] as const;

describe("reconciler errors: each class recognisable on its own", () => {
  it("a second copy of the module really has other classes", async () => {
    const copy = await loadCopy();
    expect(copy.UnknownAppError).not.toBe(UnknownAppError);
    expect(new copy.UnknownAppError("x")).not.toBeInstanceOf(UnknownAppError);
  });

  it("a class accepts its own instances, from either copy, and no other class's", async () => {
    const here = samples(errors);
    const there = samples(await loadCopy());
    const hook = new HookError("web", ["false"], 1, "exit 1");
    for (const [i, [cls]] of here.entries()) {
      for (const [j, [, error]] of [...here.entries(), ...there.entries()])
        expect(cls.isInstance(error), `${cls.name}.isInstance(${error.name})`).toBe(i === j);
      expect(cls.isInstance(hook)).toBe(false);
      expect(HookError.isInstance(here[i]![1])).toBe(false);
    }
    expect(HookError.isInstance(hook)).toBe(true);
  });

  it("ReconcilerError accepts every subclass, HookError included, from either copy", async () => {
    const copy = await loadCopy();
    const all = [
      ...samples(errors),
      ...samples(copy),
      [HookError, new HookError("web", ["false"], 1, "exit 1")] as const,
    ];
    for (const [, error] of all) {
      expect(ReconcilerError.isInstance(error), error.name).toBe(true);
      expect(copy.ReconcilerError.isInstance(error), error.name).toBe(true);
    }
  });

  it("a plain object with the marker passes; a look-alike with the code and archy brand does not", () => {
    expect(
      UnknownAppError.isInstance({ [Symbol.for("archy.reconciler.error.UnknownAppError")]: true }),
    ).toBe(true);
    expect(HookError.isInstance({ [Symbol.for("archy.reconciler.error.HookError")]: true })).toBe(
      true,
    );
    const lookAlike = Object.assign(new Error("unknown app: x"), {
      code: "EUNKNOWNAPP",
      [Symbol.for("archy.error")]: true,
    });
    expect(UnknownAppError.isInstance(lookAlike)).toBe(false);
    expect(ReconcilerError.isInstance(lookAlike)).toBe(false);
    expect(ReconcilerError.isInstance(null)).toBe(false);
  });

  it("StartFailedError: EUNHEALTHY for a health stop, else ESTARTFAILED", () => {
    const unhealthy = new StartFailedError("web", "never became healthy", "health");
    expect(unhealthy).toMatchObject({
      code: "EUNHEALTHY",
      name: "StartFailedError",
      app: "web",
      stopReason: "health",
      message: "never became healthy",
    });
    expect(unhealthy).toBeInstanceOf(ReconcilerError);
    expect(new StartFailedError("web", "exited", "crash").code).toBe("ESTARTFAILED");
    expect(new StartFailedError("web", "hook", "hook").code).toBe("ESTARTFAILED");
  });

  it("keeps code, name, cause, fields and the shared archy brand", () => {
    const cause = new Error("spawn false ENOENT");
    const hook = new HookError("web", ["false"], null, "ENOENT", cause);
    expect(hook).toMatchObject({ code: "EHOOK", name: "HookError", app: "web", exitCode: null });
    expect(hook.cause).toBe(cause);
    const invalid = new ManifestInvalidError([manifestError]);
    expect(invalid).toMatchObject({ code: "EMANIFEST", name: "ManifestInvalidError" });
    expect(invalid.errors).toEqual([manifestError]);
    expect(invalid.message).toBe("a.yaml:1:2: app: m");
    expect(new UnknownAppError("x")).toMatchObject({ code: "EUNKNOWNAPP", app: "x" });
    expect((hook as unknown as Record<symbol, unknown>)[Symbol.for("archy.error")]).toBe(true);
  });
});
