// End-to-end: Ctrl-C in the built `archy` binary. `archy logs daemon -f`
// follows the log of an app whose id is `daemon`; it is not the daemon
// command, so SIGINT ends it with exit 130. The log comes from a stand-in
// podman that streams forever: this tests the CLI's signal handling, not podman.
import { spawn } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "@archy/test-utils";

const bin = fileURLToPath(new URL("../bin/archy.js", import.meta.url));

describe("archy and Ctrl-C", () => {
  let work: { path: string; remove: () => Promise<void> };
  let podman: string;

  beforeAll(async () => {
    work = await tempDir("archy-interrupt-");
    podman = join(work.path, "podman");
    // Records its arguments and PID, then prints a log line every 50 ms until its
    // stdout is gone (the echo after archy exits kills it).
    await writeFile(
      podman,
      `#!/bin/sh\necho "$$ $*" > "${join(work.path, "podman.args")}"\nwhile :; do echo "log line"; sleep 0.05; done\n`,
    );
    await chmod(podman, 0o755);
  });
  afterAll(async () => {
    const pid = Number((await readFile(join(work.path, "podman.args"), "utf8")).split(" ")[0]);
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone, as it should be
    }
    await work.remove();
  });

  it("archy logs daemon -f: SIGINT exits 130", async () => {
    const child = spawn(process.execPath, [bin, "logs", "daemon", "-f"], {
      env: {
        ...process.env,
        ARCHY_PODMAN: podman,
        ARCHY_PODMAN_ARGS: "",
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: join(work.path, "apps"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once("exit", (code, signal) => resolve([code, signal])),
    );
    // Following: the stand-in's lines come through archy.
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes("log line\n")) resolve();
      });
      void exited.then(([code]) => reject(new Error(`archy exited ${code}: ${stderr}`)));
    });
    child.kill("SIGINT");
    expect(await exited, stderr).toEqual([130, null]);
    expect(stderr).toContain("interrupted");
    expect(await readFile(join(work.path, "podman.args"), "utf8")).toMatch(
      /^\d+ logs --follow -- archy-daemon\n$/,
    );
  });
});
