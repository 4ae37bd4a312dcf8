// One `archy daemon` at a time, spawned as the leader of its own process
// group so that a kill of the group takes its children (podman events,
// podman run, health probes) with it, like a power-less crash.
import { spawn, type ChildProcess } from "node:child_process";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";

export type KillMode = "sigkill" | "sigkill-group" | "sigterm";

export interface DaemonProcess {
  pid: number;
  /** When it was spawned (performance.now()). */
  startedAt: number;
  /** The last few KB of its stderr. */
  stderrTail(): string;
  /** Kills it as `mode` says and resolves once the process is gone. */
  kill(mode: KillMode): Promise<void>;
  exited(): boolean;
}

/** Which archy program to run (see frozenCli) and with what environment. */
export interface CliTarget {
  bin: string;
  env: Record<string, string>;
}

/** `archy ...args`; never rejects. */
export function archyCli(cli: CliTarget, args: string[], timeoutMs = 60_000) {
  return execa(process.execPath, [cli.bin, ...args], {
    env: cli.env,
    reject: false,
    timeout: timeoutMs,
  });
}

const daemonPid = (json: string): number | null => {
  try {
    return (JSON.parse(json) as { daemon: { pid: number } | null }).daemon?.pid ?? null;
  } catch (error) {
    throw new Error(`archy status --json printed no JSON: ${json.slice(0, 200)}`, { cause: error });
  }
};

export async function spawnDaemon(
  cli: CliTarget,
  opts: { intervalMs?: number; readyTimeoutMs?: number } = {},
): Promise<DaemonProcess> {
  const startedAt = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [cli.bin, "daemon", "--interval", `${opts.intervalMs ?? 5000}ms`],
    { env: cli.env, detached: true, stdio: ["ignore", "ignore", "pipe"] },
  );
  let tail = "";
  child.stderr!.on("data", (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  });
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const socket = join(cli.env.ARCHY_STATE_DIR!, "archy.sock");
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited())
      throw new Error(`the daemon exited ${child.exitCode ?? child.signalCode}: ${tail}`);
    if ((await stat(socket).catch(() => null)) !== null) {
      const r = await archyCli(cli, ["status", "--json"], 10_000);
      if (r.exitCode === 0 && daemonPid(r.stdout) === child.pid) break;
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the daemon's API did not answer within the deadline: ${tail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: child.pid!,
    startedAt,
    stderrTail: () => tail,
    exited,
    async kill(mode) {
      if (!exited()) {
        if (mode === "sigkill-group") process.kill(-child.pid!, "SIGKILL");
        else child.kill(mode === "sigterm" ? "SIGTERM" : "SIGKILL");
      }
      await gone;
    },
  };
}
