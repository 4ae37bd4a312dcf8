import { describe, expect, it } from "vitest";
import type * as errors from "./errors.js";
import { SystemdError } from "./errors.js";

/**
 * A second installed copy of this module: its own class, the same
 * `Symbol.for` marker. (The query string makes vitest load the file again as
 * another module; a variable keeps tsc from resolving it.)
 */
const secondCopy = "./errors.js?second-copy";
const loadCopy = async () => (await import(secondCopy)) as typeof errors;

describe("SystemdError", () => {
  it("is recognised across installed copies, by its marker only", async () => {
    const copy = await loadCopy();
    expect(copy.SystemdError).not.toBe(SystemdError);
    const theirs = new copy.SystemdError("ENOSYSTEMD", "x");
    expect(theirs).not.toBeInstanceOf(SystemdError);
    expect(SystemdError.isInstance(theirs)).toBe(true);
    const lookAlike = Object.assign(new Error("x"), {
      code: "ENOSYSTEMD",
      [Symbol.for("archy.error")]: true,
    });
    expect(SystemdError.isInstance(lookAlike)).toBe(false);
    expect(SystemdError.isInstance(null)).toBe(false);
  });

  it("keeps code, name, the command, its exit code and stderr, the cause and the archy brand", () => {
    const cause = new Error("io");
    const e = new SystemdError("ESYSTEMCTL", "failed", {
      command: ["systemctl", "daemon-reload"],
      exitCode: 1,
      stderr: "no",
      cause,
    });
    expect(e).toMatchObject({
      code: "ESYSTEMCTL",
      name: "SystemdError",
      exitCode: 1,
      stderr: "no",
    });
    expect(e.command).toEqual(["systemctl", "daemon-reload"]);
    expect(e.cause).toBe(cause);
    expect((e as unknown as Record<symbol, unknown>)[Symbol.for("archy.error")]).toBe(true);
    expect(new SystemdError("ENOTIFY", "x")).toMatchObject({
      command: null,
      exitCode: null,
      stderr: "",
    });
  });
});
