import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Finds and kills what podman leaves running for a container it has
 * already forgotten: when podman dies (a kill of archy's process group)
 * between `runc create` and recording the start, the container stays
 * `created` in podman's records while its conmon (holding the published
 * ports) and a `runc init` live on. `podman rm` of that container does not
 * end them, so every later container of the app fails to bind its ports
 * ("address already in use") for ever. Called after podman removed the
 * container `containerId`: any conmon of that id is stray by then.
 * Resolves with the PIDs killed. Linux only; finds nothing elsewhere.
 */
export type StrayReaper = (containerId: string) => Promise<number[]>;

export interface ReaperOptions {
  /** The proc file system; default /proc. */
  procDir?: string;
  /** Sends a signal; default process.kill. */
  kill?: (pid: number, signal: NodeJS.Signals) => void;
}

async function argv(procDir: string, pid: string): Promise<string[] | null> {
  const raw = await readFile(join(procDir, pid, "cmdline"), "utf8").catch(() => null);
  return raw === null || raw === "" ? null : raw.replace(/\0$/, "").split("\0");
}

async function parentOf(procDir: string, pid: string): Promise<string | null> {
  const stat = await readFile(join(procDir, pid, "stat"), "utf8").catch(() => null);
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
  return stat === null ? null : (stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] ?? null);
}

export function strayConmonReaper(opts: ReaperOptions = {}): StrayReaper {
  const procDir = opts.procDir ?? "/proc";
  const kill = opts.kill ?? ((pid, signal) => process.kill(pid, signal));
  return async (containerId) => {
    if (!/^[0-9a-f]{12,64}$/.test(containerId)) return [];
    const pids = (await readdir(procDir).catch(() => [] as string[])).filter((p) =>
      /^\d+$/.test(p),
    );
    const conmons: string[] = [];
    for (const pid of pids) {
      const args = await argv(procDir, pid);
      if (!args || !/(^|\/)conmon$/.test(args[0]!)) continue;
      const i = args.indexOf("-c");
      const id = i >= 0 ? args[i + 1] : undefined;
      if (id !== undefined && (id === containerId || id.startsWith(containerId))) conmons.push(pid);
    }
    if (conmons.length === 0) return [];
    // Its children first (the runc init waiting for a start that never comes), then conmon.
    const children: string[] = [];
    for (const pid of pids) {
      const parent = await parentOf(procDir, pid);
      if (parent !== null && conmons.includes(parent)) children.push(pid);
    }
    const killed: number[] = [];
    for (const pid of [...children, ...conmons]) {
      try {
        kill(Number(pid), "SIGKILL");
        killed.push(Number(pid));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
        // gone by itself meanwhile
      }
    }
    return killed;
  };
}
