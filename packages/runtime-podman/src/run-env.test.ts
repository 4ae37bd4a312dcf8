import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { podmanEnv, runPodman, type PodmanInvocation } from "./run.js";
import { streamPodman } from "./stream.js";

/**
 * podman's children must not inherit what systemd gives archy's service:
 * with INVOCATION_ID podman leaves conmon in archy.service's cgroup, with
 * NOTIFY_SOCKET it hands the service's notification socket to containers
 * (see `podmanEnv`). `env` stands in for podman and prints what it got.
 */
const printEnv: PodmanInvocation = {
  podmanPath: "/usr/bin/env",
  globalArgs: [],
  env: { CONTAINERS_CONF: "/etc/archy-test/containers.conf" },
  onCall: undefined,
};

const saved: Record<string, string | undefined> = {};
const SYSTEMD_VARS = {
  INVOCATION_ID: "0123456789abcdef0123456789abcdef",
  NOTIFY_SOCKET: "/run/systemd/notify",
};
beforeEach(() => {
  for (const [k, v] of Object.entries(SYSTEMD_VARS)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  process.env.ARCHY_RUN_ENV_TEST = "kept";
});
afterEach(() => {
  for (const k of Object.keys(SYSTEMD_VARS)) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  delete process.env.ARCHY_RUN_ENV_TEST;
});

const names = (lines: string[]) =>
  new Map(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));

describe("podman runs without systemd's INVOCATION_ID and NOTIFY_SOCKET", () => {
  it("podmanEnv drops just those two, keeping the runtime's env", () => {
    expect(podmanEnv({ CONTAINERS_CONF: "/c", INVOCATION_ID: "x" })).toEqual({
      CONTAINERS_CONF: "/c",
      INVOCATION_ID: undefined,
      NOTIFY_SOCKET: undefined,
    });
  });

  it("runPodman: a podman process sees archy's environment and its own, not those two", async () => {
    const { stdout } = await runPodman(printEnv, [], { timeoutMs: 10_000 });
    const env = names(stdout.trim().split("\n"));
    expect(env.has("INVOCATION_ID")).toBe(false);
    expect(env.has("NOTIFY_SOCKET")).toBe(false);
    expect(env.get("ARCHY_RUN_ENV_TEST")).toBe("kept");
    expect(env.get("CONTAINERS_CONF")).toBe("/etc/archy-test/containers.conf");
    expect(env.get("PATH")).toBe(process.env.PATH);
    expect(process.env.INVOCATION_ID).toBe(SYSTEMD_VARS.INVOCATION_ID); // archy's own is untouched
  });

  it("streamPodman (events, logs -f): the same", async () => {
    const lines: string[] = [];
    const stream = streamPodman(printEnv, [], "stdout", undefined, (l) => l);
    for await (const line of stream) lines.push(line);
    const env = names(lines);
    expect(env.has("INVOCATION_ID")).toBe(false);
    expect(env.has("NOTIFY_SOCKET")).toBe(false);
    expect(env.get("ARCHY_RUN_ENV_TEST")).toBe("kept");
    expect(env.get("CONTAINERS_CONF")).toBe("/etc/archy-test/containers.conf");
  });
});
