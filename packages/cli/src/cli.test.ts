import { describe, expect, it } from "vitest";
import {
  createContext,
  defaultConfigFile,
  defaultManifestsDir,
  defaultStateDir,
  podmanArgs,
} from "./context.js";
import { colorEnabled, humanDuration } from "./output.js";

// Exit codes (classify, exitCodeFor, reportExitCode) are tested in errors.test.ts.

describe("defaults and environment", () => {
  const asUser = process.getuid?.() !== 0;
  it("state and manifests folders: root paths as root, XDG paths otherwise", () => {
    const env = { XDG_STATE_HOME: "/x/state", XDG_CONFIG_HOME: "/x/config" };
    expect(defaultStateDir(env)).toBe(asUser ? "/x/state/archy" : "/var/lib/archy");
    expect(defaultManifestsDir(env)).toBe(asUser ? "/x/config/archy/apps" : "/etc/archy/apps");
    expect(defaultConfigFile(env)).toBe(
      asUser ? "/x/config/archy/archy.yaml" : "/etc/archy/archy.yaml",
    );
  });

  it("the config file: --config, then ARCHY_CONFIG, then the default (not named)", () => {
    expect(createContext({ config: "/flag.yaml" }, { ARCHY_CONFIG: "/env.yaml" })).toMatchObject({
      configFile: "/flag.yaml",
      configNamed: true,
    });
    expect(createContext({}, { ARCHY_CONFIG: "/env.yaml" }).configFile).toBe("/env.yaml");
    expect(createContext({}, {})).toMatchObject({ configNamed: false });
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
