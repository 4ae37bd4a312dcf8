import { describe, expect, it } from "vitest";
import * as errors from "./errors.js";
import {
  ContainerNotFoundError,
  EventStreamError,
  ImageNotFoundError,
  InvalidArgumentError,
  PodmanCommandError,
  PodmanTimeoutError,
  PodmanUnavailableError,
  RuntimeError,
} from "./errors.js";

/** One instance of every class, and the class that built it. */
const samples = (m: typeof errors) =>
  [
    [m.PodmanUnavailableError, new m.PodmanUnavailableError("/nonexistent", "not found")],
    [m.PodmanTimeoutError, new m.PodmanTimeoutError(["ps"], 30_000)],
    [m.PodmanCommandError, new m.PodmanCommandError(["start", "x"], 125, "Error: boom")],
    [m.ContainerNotFoundError, new m.ContainerNotFoundError("archy-web")],
    [m.ImageNotFoundError, new m.ImageNotFoundError("localhost/web:1")],
    [m.InvalidArgumentError, new m.InvalidArgumentError("name", "-x", "no leading '-'")],
    [m.EventStreamError, new m.EventStreamError("ended")],
  ] as const;

/**
 * A second installed copy of this module: its own classes, the same
 * `Symbol.for` markers. (The query string makes vitest load the file again as
 * another module; a variable keeps tsc from resolving it.)
 */
const secondCopy = "./errors.js?second-copy";
const loadCopy = async () => (await import(secondCopy)) as typeof errors;

describe("runtime errors: each class recognisable on its own", () => {
  it("a second copy of the module really has other classes", async () => {
    const copy = await loadCopy();
    expect(copy.ContainerNotFoundError).not.toBe(ContainerNotFoundError);
    expect(new copy.ContainerNotFoundError("x")).not.toBeInstanceOf(ContainerNotFoundError);
  });

  it("a class accepts its own instances, from either copy, and no other class's", async () => {
    const copy = await loadCopy();
    const here = samples(errors);
    const there = samples(copy);
    for (const [i, [cls]] of here.entries()) {
      for (const [j, [, error]] of here.entries()) {
        expect(cls.isInstance(error), `${cls.name}.isInstance(${error.name})`).toBe(i === j);
        expect(cls.isInstance(there[j]![1]), `${cls.name}.isInstance(copy ${error.name})`).toBe(
          i === j,
        );
      }
    }
  });

  it("the mix-up that motivated the markers is gone", () => {
    const timeout = new PodmanTimeoutError(["ps"], 1_000);
    expect(ContainerNotFoundError.isInstance(timeout)).toBe(false);
    expect(PodmanUnavailableError.isInstance(timeout)).toBe(false);
    expect(PodmanTimeoutError.isInstance(timeout)).toBe(true);
  });

  it("RuntimeError accepts every subclass, from either copy", async () => {
    const copy = await loadCopy();
    for (const [, error] of [...samples(errors), ...samples(copy)])
      expect(RuntimeError.isInstance(error), error.name).toBe(true);
    expect(copy.RuntimeError.isInstance(new ImageNotFoundError("x"))).toBe(true);
  });

  it("an object that carries a marker is accepted without being built by either copy", () => {
    const plain = {
      [Symbol.for("archy.error")]: true,
      [Symbol.for("archy.runtime-podman.error.RuntimeError")]: true,
      [Symbol.for("archy.runtime-podman.error.EventStreamError")]: true,
      code: "EEVENTSTREAM",
    };
    expect(EventStreamError.isInstance(plain)).toBe(true);
    expect(RuntimeError.isInstance(plain)).toBe(true);
    expect(PodmanCommandError.isInstance(plain)).toBe(false);
  });

  it("rejects look-alikes: another package's error, a plain Error with the same code, non-objects", () => {
    const lookAlike = Object.assign(new Error("no such container: x"), {
      code: "ECONTAINERNOTFOUND",
      [Symbol.for("archy.error")]: true,
    });
    expect(ContainerNotFoundError.isInstance(lookAlike)).toBe(false);
    expect(RuntimeError.isInstance(lookAlike)).toBe(false);
    for (const value of [null, undefined, "ECONTAINERNOTFOUND", 42])
      expect(RuntimeError.isInstance(value)).toBe(false);
  });

  it("keeps code, name, cause, message and the shared archy brand", () => {
    const cause = new Error("execa failed");
    const e = new PodmanUnavailableError("/nonexistent", "ENOENT", { cause });
    expect(e).toBeInstanceOf(RuntimeError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe("EPODMANUNAVAILABLE");
    expect(e.name).toBe("PodmanUnavailableError");
    expect(e.cause).toBe(cause);
    expect(e.message).toBe("podman is unavailable (/nonexistent): ENOENT");
    expect((e as unknown as Record<symbol, unknown>)[Symbol.for("archy.error")]).toBe(true);
    expect(new InvalidArgumentError("name", "-x", "y").code).toBe("EINVALIDARGUMENT");
  });
});
