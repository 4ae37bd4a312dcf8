import { AlreadyRunningError } from "@archy/crash-marker";
import { emptyReport, ManifestInvalidError, UnknownAppError } from "@archy/reconciler";
import {
  PodmanCommandError,
  PodmanTimeoutError,
  PodmanUnavailableError,
} from "@archy/runtime-podman";
import { SnapshotCorruptError, SnapshotVersionError } from "@archy/snapshot";
import { describe, expect, it } from "vitest";
import { createContext, defaultManifestsDir, defaultStateDir, podmanArgs } from "./context.js";
import { classify, CliError, EXIT } from "./errors.js";
import { colorEnabled, humanDuration } from "./output.js";
import { reportExitCode } from "./views.js";

describe("exit codes (SPEC section 6), mapped in one place", () => {
  it.each<[string, unknown, number]>([
    ["a CliError keeps its code", new CliError("x", EXIT.usage), 2],
    ["another archy holds the folder", new AlreadyRunningError(42, "/s/archy.pid"), 3],
    ["podman missing", new PodmanUnavailableError("/nonexistent", "binary not found"), 4],
    ["podman not answering", new PodmanTimeoutError(["ps"], 30_000), 4],
    ["a podman command failed", new PodmanCommandError(["start", "x"], 125, "boom"), 1],
    ["a snapshot of a newer archy", new SnapshotVersionError("/s", 9, 1, "newer"), 2],
    ["a corrupt snapshot file", new SnapshotCorruptError("/s", "bad"), 2],
    [
      "an invalid manifest",
      new ManifestInvalidError([{ file: "a.yaml", line: 1, column: 2, path: "app", message: "m" }]),
      2,
    ],
    ["an unknown app", new UnknownAppError("nope"), 2],
    ["a missing file", Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" }), 2],
  ])("%s", (_l, error, code) => {
    const c = classify(error, "/state");
    expect(c.exitCode).toBe(code);
    expect(c.bug).toBe(false);
  });

  it("names the PID and the folder when another archy holds it", () => {
    expect(classify(new AlreadyRunningError(42, "/s/archy.pid"), "/state").message).toBe(
      "another archy (PID 42) holds the state folder /state",
    );
  });

  it("an unexpected error is a bug, with its stack", () => {
    const c = classify(new TypeError("undefined is not a function"));
    expect(c).toMatchObject({ exitCode: 1, bug: true });
    expect(c.message).toContain("TypeError: undefined is not a function\n    at ");
  });

  it("a report: invalid manifests 2, failures 1, else 0", () => {
    const base = { ...emptyReport(""), observed: true };
    expect(reportExitCode(base)).toBe(0);
    expect(reportExitCode({ ...base, failures: [{ app: "a", error: "e" }] })).toBe(1);
    expect(reportExitCode({ ...base, observed: false })).toBe(1);
    expect(
      reportExitCode({
        ...base,
        failures: [{ app: "a", error: "e" }],
        manifestErrors: [{ file: "f", line: 1, column: 1, path: "", message: "m" }],
      }),
    ).toBe(2);
  });
});

describe("defaults and environment", () => {
  const asUser = process.getuid?.() !== 0;
  it("state and manifests folders: root paths as root, XDG paths otherwise", () => {
    const env = { XDG_STATE_HOME: "/x/state", XDG_CONFIG_HOME: "/x/config" };
    expect(defaultStateDir(env)).toBe(asUser ? "/x/state/archy" : "/var/lib/archy");
    expect(defaultManifestsDir(env)).toBe(asUser ? "/x/config/archy/apps" : "/etc/archy/apps");
  });

  it("flags beat the environment, which beats the defaults; ARCHY_PODMAN and ARCHY_PODMAN_ARGS reach the runtime", () => {
    const env = {
      ARCHY_STATE_DIR: "/env/state",
      ARCHY_MANIFESTS: "/env/apps",
      ARCHY_PODMAN: "/opt/podman",
      ARCHY_PODMAN_ARGS: " --root /r  --runroot /rr ",
    };
    const ctx = createContext({ stateDir: "/flag/state" }, env);
    expect(ctx.stateDir).toBe("/flag/state");
    expect(ctx.manifestsDir).toBe("/env/apps");
    expect(ctx.socketPath).toBe("/flag/state/archy.sock");
    expect(ctx.runtime().podmanPath).toBe("/opt/podman");
    expect(ctx.runtime().globalArgs).toEqual(["--root", "/r", "--runroot", "/rr"]);
    expect(podmanArgs({})).toEqual([]);
  });
});

describe("output", () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  it("colour only on a TTY and never with NO_COLOR", () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(pipe, {})).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled(pipe, { FORCE_COLOR: "1" })).toBe(true);
  });

  it.each([
    [0, "0s"],
    [59_000, "59s"],
    [61_000, "1m1s"],
    [3_600_000, "1h"],
    [90_000_000, "1d1h"],
  ])("humanDuration(%i) = %s", (ms, text) => expect(humanDuration(ms)).toBe(text));
});
