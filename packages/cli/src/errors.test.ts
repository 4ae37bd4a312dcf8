import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AlreadyRunningError } from "@archy/crash-marker";
import { emptyReport, HookError, ManifestInvalidError, UnknownAppError } from "@archy/reconciler";
import {
  ContainerNotFoundError,
  PodmanCommandError,
  PodmanTimeoutError,
  PodmanUnavailableError,
} from "@archy/runtime-podman";
import { SnapshotCorruptError, SnapshotVersionError } from "@archy/snapshot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "./cli.js";
import { classify, CliError, EXIT, exitCodeFor } from "./errors.js";
import { reportExitCode } from "./views.js";

/** An error as another installed copy of an archy package builds it: the shared brand and a code, no class of ours. */
const foreign = (code: string, message = `${code} from another copy`, extra: object = {}) =>
  Object.assign(new Error(message), { code, [Symbol.for("archy.error")]: true }, extra);

describe("exitCodeFor: the code -> exit code table", () => {
  it.each<[string, number]>([
    ["EALREADYRUNNING", EXIT.locked],
    ["EPODMANUNAVAILABLE", EXIT.podman],
    ["EPODMANTIMEOUT", EXIT.podman],
    ["ESNAPSHOTVERSION", EXIT.usage],
    ["ESNAPSHOTCORRUPT", EXIT.usage],
    ["EMANIFEST", EXIT.usage],
    ["EUNKNOWNAPP", EXIT.usage],
    ["ENOENT", EXIT.usage],
    ["EACCES", EXIT.usage],
    ["EISDIR", EXIT.usage],
  ])("%s -> %i", (code, exit) => expect(exitCodeFor(code)).toBe(exit));

  it.each([
    "EPODMANCOMMAND",
    "ECONTAINERNOTFOUND",
    "EHOOK",
    "ESTARTFAILED",
    "EUNHEALTHY",
    "EPERM",
    "constructor",
    "toString",
    "",
  ])("%j has no exit code of its own", (code) => expect(exitCodeFor(code)).toBeNull());

  it("no code, no exit code", () => expect(exitCodeFor(undefined)).toBeNull());
});

describe("classify: by code, never instanceof", () => {
  it.each<[string, unknown, number]>([
    ["a CliError keeps its exit code", new CliError("x", EXIT.interrupted), EXIT.interrupted],
    ["AlreadyRunningError", new AlreadyRunningError(42, "/s/archy.pid"), EXIT.locked],
    ["PodmanUnavailableError", new PodmanUnavailableError("/nonexistent", "ENOENT"), EXIT.podman],
    ["PodmanTimeoutError", new PodmanTimeoutError(["ps"], 30_000), EXIT.podman],
    ["SnapshotVersionError", new SnapshotVersionError("/s", 9, 1, "newer"), EXIT.usage],
    ["SnapshotCorruptError", new SnapshotCorruptError("/s", "bad JSON"), EXIT.usage],
    ["UnknownAppError", new UnknownAppError("nope"), EXIT.usage],
    ["PodmanCommandError", new PodmanCommandError(["start", "x"], 125, "boom"), EXIT.failed],
    ["ContainerNotFoundError", new ContainerNotFoundError("archy-x"), EXIT.failed],
    ["HookError", new HookError("web", ["false"], 1, "exit 1"), EXIT.failed],
    ["a Node ENOENT", Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" }), 2],
    ["a Node EACCES", Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" }), 2],
    ["a Node EISDIR", Object.assign(new Error("EISDIR: is a directory"), { code: "EISDIR" }), 2],
  ])("%s", (_label, error, exit) => {
    expect(classify(error, "/state")).toMatchObject({ exitCode: exit, bug: false });
  });

  it.each<[string, number]>([
    ["EPODMANUNAVAILABLE", EXIT.podman],
    ["EPODMANTIMEOUT", EXIT.podman],
    ["ESNAPSHOTVERSION", EXIT.usage],
    ["EUNKNOWNAPP", EXIT.usage],
    ["EPODMANCOMMAND", EXIT.failed],
    ["ESTARTFAILED", EXIT.failed],
    ["ESOMETHINGNEW", EXIT.failed],
  ])("an error of another installed copy with code %s -> %i, not a bug", (code, exit) => {
    const c = classify(foreign(code, "it failed"));
    expect(c).toEqual({ exitCode: exit, message: "it failed", bug: false });
  });

  it("another archy holding the folder: names the PID and the state folder", () => {
    expect(classify(new AlreadyRunningError(42, "/s/archy.pid"), "/state").message).toBe(
      "another archy (PID 42) holds the state folder /state",
    );
    expect(classify(foreign("EALREADYRUNNING", "x", { pid: 7, path: "/s/archy.pid" }))).toEqual({
      exitCode: EXIT.locked,
      message: "another archy (PID 7) holds the state folder /s/archy.pid",
      bug: false,
    });
  });

  it("an invalid manifest: every error of its `errors` field, formatted", () => {
    const errors = [
      { file: "a.yaml", line: 1, column: 2, path: "app", message: "m" },
      { file: "b.yaml", line: 3, column: 4, path: "", message: "n" },
    ];
    const expected = { exitCode: EXIT.usage, message: "a.yaml:1:2: app: m\nb.yaml:3:4: n" };
    expect(classify(new ManifestInvalidError(errors))).toEqual({ ...expected, bug: false });
    expect(classify(foreign("EMANIFEST", "x", { errors }))).toEqual({ ...expected, bug: false });
  });

  it("a CliError is recognised by its marker", () => {
    const copy = Object.assign(new Error("from another copy"), {
      [Symbol.for("archy.cli.error.CliError")]: true,
      exitCode: EXIT.usage,
    });
    expect(CliError.isInstance(new CliError("x", EXIT.failed))).toBe(true);
    expect(classify(copy)).toEqual({
      exitCode: EXIT.usage,
      message: "from another copy",
      bug: false,
    });
  });

  it("an unexpected error is a bug, with its stack", () => {
    const c = classify(new TypeError("undefined is not a function"));
    expect(c).toMatchObject({ exitCode: EXIT.failed, bug: true });
    expect(c.message).toContain("TypeError: undefined is not a function\n    at ");
  });

  it.each<[string, unknown]>([
    [
      "an error with an unknown code and no archy brand",
      Object.assign(new Error("x"), { code: "EPERM" }),
    ],
    ["a thrown string", "boom"],
    ["null", null],
    ["undefined", undefined],
  ])("%s is a bug", (_label, error) => {
    expect(classify(error)).toMatchObject({ exitCode: EXIT.failed, bug: true });
  });
});

describe("reportExitCode", () => {
  const base = { ...emptyReport(""), observed: true };
  const manifestErrors = [{ file: "f", line: 1, column: 1, path: "", message: "m" }];

  it("0 done, 1 failures, 2 invalid manifests", () => {
    expect(reportExitCode(base)).toBe(EXIT.ok);
    expect(reportExitCode({ ...base, failures: [{ app: "a", error: "e" }] })).toBe(EXIT.failed);
    expect(reportExitCode({ ...base, failures: [{ app: "a", error: "e" }], manifestErrors })).toBe(
      EXIT.usage,
    );
  });

  it("a pass that could not observe podman exits by the code of what stopped it", () => {
    const stopped = { ...base, observed: false, error: "cannot observe podman: ..." };
    expect(reportExitCode({ ...stopped, errorCode: "EPODMANUNAVAILABLE" })).toBe(EXIT.podman);
    expect(reportExitCode({ ...stopped, errorCode: "EPODMANTIMEOUT" })).toBe(EXIT.podman);
    expect(reportExitCode({ ...stopped, errorCode: "EPODMANUNAVAILABLE", manifestErrors })).toBe(
      EXIT.podman,
    );
    expect(reportExitCode({ ...stopped, errorCode: "EPODMANCOMMAND" })).toBe(EXIT.failed);
    expect(reportExitCode(stopped)).toBe(EXIT.failed);
    expect(reportExitCode({ ...stopped, manifestErrors })).toBe(EXIT.usage);
  });

  it("an observed pass ignores a stray errorCode", () => {
    expect(reportExitCode({ ...base, errorCode: "EPODMANUNAVAILABLE" })).toBe(EXIT.ok);
  });
});

describe("archy up with podman missing (ARCHY_PODMAN=/nonexistent)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "archy-errors-"));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it("exits 4, as SPEC section 6 says", async () => {
    vi.stubEnv("ARCHY_PODMAN", "/nonexistent");
    vi.stubEnv("ARCHY_PODMAN_ARGS", "");
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const code = await main([
      "node",
      "archy",
      "--state-dir",
      join(dir, "state"),
      "--manifests",
      join(dir, "apps"),
      "--json",
      "up",
    ]);
    expect(code).toBe(EXIT.podman);
  });
});
