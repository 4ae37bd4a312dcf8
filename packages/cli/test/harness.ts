// The built `archy` binary as a user runs it, and its daemon, for the
// end-to-end tests (real podman on an isolated store).
import { spawn, type ChildProcess } from "node:child_process";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { waitFor, type PodmanStore } from "@archy/test-utils";

export const root = fileURLToPath(new URL("../../..", import.meta.url));
export const bin = join(root, "packages/cli/bin/archy.js");

/** podman's state of a container of the store ("" when there is none). */
export const containerState = async (store: PodmanStore, name: string) =>
  (
    await store.podman(["inspect", "--format", "{{.State.Status}}", name], { reject: false })
  ).stdout.trim();

/**
 * `archy` with the environment `env()` gives (ARCHY_STATE_DIR and the store's
 * podman), and one daemon at a time started and stopped as an owner would.
 */
export function archyHarness(env: () => Record<string, string>) {
  let daemon: ChildProcess | null = null;
  const archy = (args: string[], extraEnv: Record<string, string> = {}) =>
    execa(process.execPath, [bin, ...args], {
      env: { ...env(), ...extraEnv },
      reject: false,
      timeout: 120_000,
    });
  return {
    archy,
    /** The running daemon, if one was started and not stopped or forgotten. */
    get daemon() {
      return daemon;
    },
    async startDaemon(extra: string[] = []): Promise<ChildProcess> {
      const child = spawn(process.execPath, [bin, "daemon", "--interval", "30s", ...extra], {
        env: env(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let err = "";
      child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
      child.stdout!.resume();
      // The socket first: a CLI that finds no daemon reads (and repairs) the state folder itself.
      const socket = join(env().ARCHY_STATE_DIR!, "archy.sock");
      await waitFor(
        async () =>
          child.exitCode !== null ||
          ((await stat(socket).catch(() => null)) !== null &&
            (await archy(["status", "--json"])).stdout.includes('"pid"')),
        { timeoutMs: 30_000, what: "the daemon's API" },
      );
      if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}: ${err}`);
      daemon = child;
      return child;
    },
    /** SIGTERM to the daemon; resolves with its exit code (null when none ran). */
    async stopDaemon(): Promise<number | null> {
      const d = daemon;
      daemon = null;
      if (!d) return null;
      if (d.exitCode !== null || d.signalCode !== null) return d.exitCode;
      const exited = new Promise<number | null>((r) => d.once("exit", (code) => r(code)));
      d.kill("SIGTERM");
      return exited;
    },
    /** The daemon was killed by the test: nothing to stop. */
    forgetDaemon(): void {
      daemon = null;
    },
  };
}
