// One set of bench apps under archy on an isolated podman store: its manifests
// folder and state folder, the archy CLI and podman on that store, a daemon to
// start, crash and stop, and what podman and the daemon say is running.
// bench/scale.ts and bench/scale-kills.ts drive it.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { execa } from "execa";
import { freePort, waitFor, type PodmanStore } from "@archy/test-utils";
import { benchManifest } from "./lib.js";
import { descendants } from "./proc.js";

export const BIN = join(import.meta.dirname, "..", "packages", "cli", "bin", "archy.js");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` distinct ports free on 127.0.0.1 now. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** What a manifest adds to the bench app of lib.ts. */
export interface AppOptions {
  httpCheck: boolean;
  /** A named network instead of the store's default one (a /24: 253 containers at most). */
  network?: string;
  /** `restart.backoff.reset`, e.g. "2s"; archy's default when absent. */
  backoffReset?: string;
}

/** A bench app's manifest: benchManifest, with a back-off reset when asked. */
export function appManifest(id: string, image: string, port: number, opts: AppOptions): string {
  let text = benchManifest(id, image, port, opts.httpCheck);
  if (opts.network !== undefined)
    text = text.replace("    stop_timeout:", `    network: ${opts.network}\n    stop_timeout:`);
  return opts.backoffReset === undefined
    ? text
    : `${text}  restart:\n    backoff: { reset: ${opts.backoffReset} }\n`;
}

export class Fleet {
  readonly apps: string;
  readonly state: string;
  readonly env: Record<string, string | undefined>;
  /** Container names, `archy-<prefix><i>`. */
  readonly names: string[];
  private daemon: { child: ChildProcess; exited: Promise<unknown> } | null = null;

  constructor(
    readonly store: PodmanStore,
    dir: string,
    /** App ids are `<prefix>0` ... `<prefix><n-1>`. */
    readonly prefix: string,
    readonly ports: number[],
    /** The network of every app (see AppOptions.network). */
    readonly network?: string,
  ) {
    this.apps = join(dir, "apps");
    this.state = join(dir, "state");
    this.env = {
      ...process.env,
      ...store.archyEnv,
      NO_COLOR: "1",
      ARCHY_STATE_DIR: this.state,
      ARCHY_MANIFESTS: this.apps,
    };
    this.names = ports.map((_, i) => `archy-${prefix}${i}`);
  }

  get size(): number {
    return this.ports.length;
  }

  async writeManifests(opts: AppOptions): Promise<void> {
    await mkdir(this.apps, { recursive: true });
    const withNetwork = this.network === undefined ? opts : { ...opts, network: this.network };
    await Promise.all(
      this.ports.map((port, i) =>
        writeFile(
          join(this.apps, `${this.prefix}${i}.yaml`),
          appManifest(`${this.prefix}${i}`, this.store.image, port, withNetwork),
        ),
      ),
    );
  }

  archy(args: string[]) {
    return execa(process.execPath, [BIN, ...args], { env: this.env });
  }

  podman(args: string[]) {
    return execa("podman", [...this.store.globalArgs, ...args], {
      env: { ...process.env, ...this.store.env },
    });
  }

  /** Removes every container of the store and archy's state (a cold start follows). */
  async reset(): Promise<void> {
    await this.podman(["rm", "--all", "--force", "--time", "0"]);
    await rm(this.state, { recursive: true, force: true });
  }

  async runningNames(): Promise<Set<string>> {
    const { stdout } = await this.podman(["ps", "--format", "{{.Names}}"]);
    return new Set(stdout.split("\n").filter(Boolean));
  }

  async expectRunning(what: string): Promise<void> {
    const running = await this.runningNames();
    const missing = this.names.filter((n) => !running.has(n));
    if (missing.length)
      throw new Error(`${what}: ${missing.length} not running: ${missing.slice(0, 5).join(", ")}`);
  }

  /** Polls one `podman ps` every 50 ms until every app's container runs; ms since `t0`. */
  async untilRunning(t0: number, timeoutMs = 300_000): Promise<number> {
    for (;;) {
      const running = await this.runningNames();
      if (this.names.every((n) => running.has(n))) return performance.now() - t0;
      if (performance.now() - t0 > timeoutMs)
        throw new Error(`the ${this.size} apps did not all run within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** One GET on the daemon's socket; null when it does not answer (yet). */
  api<T>(path: string): Promise<T | null> {
    return new Promise((resolve) => {
      const req = request({ socketPath: join(this.state, "archy.sock"), path }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => {
          try {
            resolve(res.statusCode === 200 ? (JSON.parse(body) as T) : null);
          } catch {
            resolve(null);
          }
        });
      });
      req.on("error", () => resolve(null));
      req.end();
    });
  }

  /** Whether the daemon reports every app in phase running. */
  async daemonSaysAllRunning(): Promise<boolean> {
    const payload = await this.api<{ apps: { phase: string }[] }>("/v1/apps");
    return (
      payload !== null &&
      payload.apps.length === this.size &&
      payload.apps.every((a) => a.phase === "running")
    );
  }

  startDaemon(): ChildProcess {
    const child = spawn(process.execPath, [BIN, "daemon", "--interval", "30s"], {
      env: this.env,
      stdio: "ignore",
    });
    this.daemon = { child, exited: new Promise((r) => child.once("exit", r)) };
    return child;
  }

  get daemonPid(): number | null {
    return this.daemon?.child.pid ?? null;
  }

  /** Until the daemon has finished a first pass. */
  async daemonReady(): Promise<void> {
    await waitFor(
      async () => {
        const info = await this.api<{ passes?: number }>("/v1/daemon");
        return info !== null && (info.passes ?? 0) >= 1;
      },
      { timeoutMs: 300_000, intervalMs: 100, what: "the daemon's first pass" },
    );
  }

  async ensureDaemon(): Promise<void> {
    if (!this.daemon) this.startDaemon();
    await this.daemonReady();
  }

  async stopDaemon(): Promise<void> {
    if (!this.daemon) return;
    this.daemon.child.kill("SIGTERM");
    await this.daemon.exited;
    this.daemon = null;
  }

  /** SIGKILL of the daemon; its orphaned children go too, as in the reboot that follows. */
  async crashDaemon(): Promise<void> {
    if (!this.daemon) return;
    const children = descendants(this.daemon.child.pid!);
    this.daemon.child.kill("SIGKILL");
    await this.daemon.exited;
    this.daemon = null;
    for (const child of children) {
      try {
        process.kill(child, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  /** A simulated reboot's effect on the containers: every one stopped. */
  reboot() {
    return this.podman(["stop", "--all", "--time", "1"]);
  }
}

/** Resident memory of a process in MB (VmRSS), 0 when it is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** RSS of a process and of its live descendants together, in MB. */
export const treeRssMb = (pid: number): number =>
  rssMb(pid) + descendants(pid).reduce((sum, d) => sum + rssMb(d), 0);
