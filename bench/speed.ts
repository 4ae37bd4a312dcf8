// archy against the plain podman way of doing the same thing, side by side in
// one run on one isolated store, repetitions interleaved (archy, the
// alternative, archy, ...), medians. Prints one table with today's figures,
// the ratio, the target and PASS/MISS per row:
//
// - cold `archy up` of 10 and 30 apps (no daemon, image present) against
//   `podman run -d` of the same containers, 4 in parallel (the floor), and
//   against `podman-compose up -d` of the same 30 services when installed;
// - a no-op `archy up` and `archy ps` (without and with the daemon) against
//   one `podman ps -a --format json` or `node -e 0`;
// - the restart of an app container after `kill -9` of its main process
//   under the daemon against podman's own `--restart=always`;
// - recovery of 30 apps after a SIGKILL of the daemon plus `podman stop
//   --all` (a simulated reboot) against one `podman start` of the 30;
// - the CPU of an idle daemon with 30 http-checked apps.
//
// Runs alone with `bash scripts/pnpm.sh exec tsx bench/speed.ts` (about 6
// minutes), progress on stderr. It runs the built CLI (packages/cli/bin/archy.js).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { createPodmanStore, freePort, tempDir, waitFor } from "@archy/test-utils";
import {
  APP_COMMAND,
  benchManifest,
  interleaved,
  medianOf,
  printComparison,
  type ComparisonRow,
} from "./lib.js";
import { cpuOf, descendants, processCpu } from "./proc.js";

// ARCHY_BENCH_QUICK=1: one run of each (two kills, 10 s idle), to check the bench itself.
const QUICK = process.env.ARCHY_BENCH_QUICK === "1";
const RUNS_COLD_10 = QUICK ? 1 : 5;
const RUNS_COLD_30 = QUICK ? 1 : 3;
const RUNS_COMPOSE = 1; // podman-compose 1.0.3 sleeps 1 s after each container: ~40 s a run
const RUNS_FAST = QUICK ? 1 : 10;
const KILLS = QUICK ? 2 : 10;
const RUNS_RECOVERY = QUICK ? 1 : 3;
const IDLE_SECONDS = Number(process.env.ARCHY_BENCH_IDLE_SECONDS ?? (QUICK ? 10 : 60));
const PARALLEL = 4; // archy's default start concurrency
const RESTART_TIMEOUT_MS = 30_000;

export type SpeedRow = ComparisonRow;

const progress = (line: string) => process.stderr.write(`speed: ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fmt(ms: number): string {
  if (!Number.isFinite(ms)) return `> ${RESTART_TIMEOUT_MS / 1000} s (timed out)`;
  return ms < 1_000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

const indices = (n: number) => Array.from({ length: n }, (_, i) => i);
const verdict = (ok: boolean): SpeedRow["result"] => (ok ? "PASS" : "MISS");

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function composeFile(image: string, ports: number[]): string {
  const services = ports.map((port, i) =>
    [
      `  s${i}:`,
      `    image: ${image}`,
      `    command: ${JSON.stringify(APP_COMMAND)}`,
      `    ports: ["127.0.0.1:${port}:8080"]`,
      "    stop_grace_period: 1s",
    ].join("\n"),
  );
  // The store's own default network: podman-compose would otherwise create a
  // network (and a bridge) of its own on this shared machine.
  return `services:\n${services.join("\n")}\nnetworks:\n  default:\n    external:\n      name: podman\n`;
}

export async function benchSpeed(): Promise<SpeedRow[]> {
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const bin = join(import.meta.dirname, "..", "packages", "cli", "bin", "archy.js");
  const version = await execa(process.execPath, [bin, "--version"], { reject: false });
  if (version.exitCode !== 0)
    throw new Error(
      `${bin} --version failed (build first: bash scripts/pnpm.sh run build): ${version.stderr}`,
    );
  progress("creating an isolated podman store");
  const store = await createPodmanStore();
  const dirs = await tempDir("archy-bench-speed-");
  const apps10 = join(dirs.path, "apps10");
  const apps30 = join(dirs.path, "apps30");
  const state10 = join(dirs.path, "state10");
  const state30 = join(dirs.path, "state30");
  const baseEnv = { ...process.env, ...store.archyEnv, NO_COLOR: "1" };
  const env30 = { ...baseEnv, ARCHY_STATE_DIR: state30, ARCHY_MANIFESTS: apps30 };
  const archy = (args: string[], env: Record<string, string | undefined> = env30) =>
    execa(process.execPath, [bin, ...args], { env });
  const podman = (args: string[]) =>
    execa("podman", [...store.globalArgs, ...args], { env: baseEnv });
  const removeAll = () => podman(["rm", "--all", "--force", "--time", "0"]);
  const runningNames = async () =>
    new Set((await podman(["ps", "--format", "{{.Names}}"])).stdout.split("\n").filter(Boolean));
  const expectRunning = async (names: string[], what: string) => {
    const running = await runningNames();
    const missing = names.filter((n) => !running.has(n));
    if (missing.length) throw new Error(`${what}: not running: ${missing.join(", ")}`);
  };
  /** The plain podman way of running one of the apps (`extra`: more `run` options). */
  const floorRun = (name: string, port: number, extra: string[] = []) =>
    podman([
      "run",
      "-d",
      "--name",
      name,
      ...extra,
      "-p",
      `127.0.0.1:${port}:8080`,
      "--stop-timeout",
      "1",
      store.image,
      ...APP_COMMAND,
    ]);

  let daemon: { child: ChildProcess; exited: Promise<unknown> } | null = null;
  const startDaemon = () => {
    const child = spawn(process.execPath, [bin, "daemon", "--interval", "30s"], {
      env: env30,
      stdio: "ignore",
    });
    daemon = { child, exited: new Promise((r) => child.once("exit", r)) };
    return daemon;
  };
  const daemonReady = () =>
    waitFor(
      async () => {
        const r = await execa(process.execPath, [bin, "status", "--json"], {
          env: env30,
          reject: false,
        });
        try {
          const info = (JSON.parse(r.stdout) as { daemon: { passes?: number } | null }).daemon;
          return info !== null && (info.passes ?? 0) >= 1;
        } catch {
          return false;
        }
      },
      { timeoutMs: 120_000, intervalMs: 100, what: "the daemon's first pass" },
    );
  const stopDaemon = async () => {
    if (!daemon) return;
    daemon.child.kill("SIGTERM");
    await daemon.exited;
    daemon = null;
  };
  /** SIGKILL of the daemon; its orphaned children go too, as in the reboot that follows. */
  const crashDaemon = async () => {
    if (!daemon) return;
    const pid = daemon.child.pid!;
    const children = descendants(pid);
    daemon.child.kill("SIGKILL");
    await daemon.exited;
    daemon = null;
    for (const child of children) {
      try {
        process.kill(child, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };

  const rows: SpeedRow[] = [];
  try {
    await mkdir(apps10);
    await mkdir(apps30);
    const ports: number[] = [];
    for (let i = 0; i < 30; i++) ports.push(await freePort());
    for (let i = 0; i < 10; i++)
      await writeFile(
        join(apps10, `app${i}.yaml`),
        benchManifest(`app${i}`, store.image, ports[i]!, false),
      );
    for (let i = 0; i < 30; i++)
      await writeFile(
        join(apps30, `app${i}.yaml`),
        benchManifest(`app${i}`, store.image, ports[i]!, false),
      );
    const appNames = (n: number) => Array.from({ length: n }, (_, i) => `archy-app${i}`);
    /** A cold `archy up` of n apps, and the floor: n `podman run -d`, PARALLEL at a time. */
    const coldContenders = (n: number, stateDir: string, env?: Record<string, string>) => [
      {
        name: "archy up",
        before: async () => {
          await removeAll();
          await rm(stateDir, { recursive: true, force: true });
        },
        run: async () => {
          const t0 = performance.now();
          await archy(["up"], env);
          const ms = performance.now() - t0;
          await expectRunning(appNames(n), "archy up");
          return ms;
        },
      },
      {
        name: `podman run -d x${n}`,
        before: removeAll,
        run: async () => {
          const t0 = performance.now();
          await pool(indices(n), PARALLEL, (i) => floorRun(`floor${i}`, ports[i]!));
          return performance.now() - t0;
        },
      },
    ];

    // 1. Cold up of 10.
    progress(`cold up, 10 apps (${RUNS_COLD_10} runs each)`);
    const env10 = { ...baseEnv, ARCHY_STATE_DIR: state10, ARCHY_MANIFESTS: apps10 };
    const cold10 = await interleaved(RUNS_COLD_10, coldContenders(10, state10, env10), {
      progress,
      warmup: 1,
    });
    {
      const a = medianOf(cold10.get("archy up")!);
      const b = medianOf(cold10.get("podman run -d x10")!);
      rows.push({
        measure: `cold \`archy up\`, 10 apps, image present, no daemon (median of ${RUNS_COLD_10})`,
        archy: fmt(a),
        alternative: `\`podman run -d\` x10, ${PARALLEL} in parallel: ${fmt(b)}`,
        ratio: `${(a / b).toFixed(2)}x`,
        target: "<= 1.6x",
        result: verdict(a / b <= 1.6),
      });
    }

    // 2. Cold up of 30, and podman-compose when installed.
    const hasCompose =
      spawnSync("sh", ["-c", "command -v podman-compose"], { stdio: "ignore" }).status === 0;
    const wrapperDir = join(dirs.path, "podman-wrapper");
    const composePath = join(dirs.path, "compose", "compose.yaml");
    let composeError: string | null = null;
    if (hasCompose) {
      // podman-compose calls `podman` from PATH: this one is the store's.
      await mkdir(wrapperDir);
      const real = (await execa("sh", ["-c", "command -v podman"])).stdout.trim();
      await writeFile(
        join(wrapperDir, "podman"),
        `#!/bin/sh\nexec ${real} ${store.globalArgs.join(" ")} "$@"\n`,
      );
      await chmod(join(wrapperDir, "podman"), 0o755);
      await mkdir(join(dirs.path, "compose"));
      await writeFile(composePath, composeFile(store.image, ports));
    }
    progress(
      `cold up, 30 apps (${RUNS_COLD_30} runs each${hasCompose ? `, podman-compose ${RUNS_COMPOSE}` : ", podman-compose not installed"})`,
    );
    const cold30 = await interleaved(
      RUNS_COLD_30,
      [
        ...coldContenders(30, state30),
        ...(hasCompose
          ? [
              {
                name: "podman-compose up -d",
                runs: RUNS_COMPOSE,
                before: removeAll,
                run: async () => {
                  const t0 = performance.now();
                  try {
                    await execa(
                      "podman-compose",
                      ["-p", "archybench", "-f", composePath, "up", "-d"],
                      {
                        cwd: join(dirs.path, "compose"),
                        env: { ...baseEnv, PATH: `${wrapperDir}:${process.env.PATH ?? ""}` },
                      },
                    );
                    const ms = performance.now() - t0;
                    await expectRunning(
                      ports.map((_, i) => `archybench_s${i}_1`),
                      "podman-compose up -d",
                    );
                    return ms;
                  } catch (error) {
                    // A broken podman-compose is the alternative's failure, not the bench's.
                    composeError = String((error as Error).message).split("\n")[0]!;
                    progress(`  podman-compose failed: ${composeError}`);
                    return Number.NaN;
                  }
                },
              },
            ]
          : []),
      ],
      { progress },
    );
    {
      const a = medianOf(cold30.get("archy up")!);
      const b = medianOf(cold30.get("podman run -d x30")!);
      rows.push({
        measure: `cold \`archy up\`, 30 apps (median of ${RUNS_COLD_30})`,
        archy: fmt(a),
        alternative: `\`podman run -d\` x30, ${PARALLEL} in parallel: ${fmt(b)}`,
        ratio: `${(a / b).toFixed(2)}x`,
        target: "<= 1.3x",
        result: verdict(a / b <= 1.3),
      });
      const c = hasCompose ? medianOf(cold30.get("podman-compose up -d")!) : Number.NaN;
      const measured = hasCompose && composeError === null;
      rows.push({
        measure: `  the same, against podman-compose${hasCompose ? ` (${RUNS_COMPOSE} run)` : ""}`,
        archy: fmt(a),
        alternative: !hasCompose
          ? "`podman-compose`: not installed"
          : composeError !== null
            ? `\`podman-compose up -d\` failed: ${composeError}`
            : `\`podman-compose up -d\`, 30 services: ${fmt(c)}`,
        ratio: measured ? `${(a / c).toFixed(2)}x` : "—",
        target: "<= 0.15x",
        result: measured ? verdict(a / c <= 0.15) : "—",
      });
    }

    // Setup for what follows: the 30 apps up under archy, no daemon.
    progress("bringing up the 30 apps with archy");
    await removeAll();
    await rm(state30, { recursive: true, force: true });
    await archy(["up"]);
    await expectRunning(appNames(30), "archy up");

    // 3. and 5. No-op up and ps without a daemon.
    progress(`no-op up and ps, no daemon (${RUNS_FAST} runs each)`);
    const podmanPs = { name: "podman ps", run: () => podman(["ps", "-a", "--format", "json"]) };
    const noDaemon = await interleaved(
      RUNS_FAST,
      [
        { name: "archy up (no-op)", run: () => archy(["up"]) },
        podmanPs,
        { name: "archy ps", run: () => archy(["ps"]) },
      ],
      { progress, warmup: 1 },
    );
    const psMs = medianOf(noDaemon.get("podman ps")!);
    {
      const a = medianOf(noDaemon.get("archy up (no-op)")!);
      rows.push({
        measure: `no-op \`archy up\`, 30 apps, no daemon (median of ${RUNS_FAST})`,
        archy: fmt(a),
        alternative: `\`podman ps -a --format json\`: ${fmt(psMs)}`,
        ratio: `${(a / psMs).toFixed(2)}x`,
        target: "<= 3x",
        result: verdict(a / psMs <= 3),
      });
    }

    // 4. ps through the daemon.
    progress("starting the daemon");
    startDaemon();
    await daemonReady();
    progress(`ps through the daemon (${RUNS_FAST} runs each)`);
    const withDaemon = await interleaved(
      RUNS_FAST,
      [
        { name: "archy ps", run: () => archy(["ps"]) },
        { name: "node -e 0", run: () => execa(process.execPath, ["-e", "0"]) },
      ],
      { progress, warmup: 1 },
    );
    {
      const a = medianOf(withDaemon.get("archy ps")!);
      const b = medianOf(withDaemon.get("node -e 0")!);
      rows.push({
        measure: `\`archy ps\`, 30 apps, daemon running (median of ${RUNS_FAST})`,
        archy: fmt(a),
        alternative: `\`node -e 0\`: ${fmt(b)}`,
        ratio: `${(a / b).toFixed(2)}x`,
        target: "<= 1.3x",
        result: verdict(a / b <= 1.3),
      });
    }
    {
      const a = medianOf(noDaemon.get("archy ps")!);
      rows.push({
        measure: `\`archy ps\`, 30 apps, no daemon (median of ${RUNS_FAST})`,
        archy: fmt(a),
        alternative: `\`podman ps -a --format json\`: ${fmt(psMs)}`,
        ratio: `${(a / psMs).toFixed(2)}x`,
        target: "<= 3x",
        result: verdict(a / psMs <= 3),
      });
    }

    // 6. Restart after kill -9 of the main process: archy's daemon against
    // podman's own restart=always. Each kill hits another container, so
    // archy's back-off (which lets a first failure through at once) and
    // podman's have the same history.
    progress(`restart after kill -9 (${KILLS} kills each)`);
    const restartPorts: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      const port = await freePort();
      restartPorts.push(port);
      await floorRun(`restart${i}`, port, ["--restart=always"]);
    }
    await sleep(2_000); // the daemon sees the new containers' events and settles
    const stateOf = async (name: string) => {
      const r = await execa(
        "podman",
        [...store.globalArgs, "inspect", "--format", "{{.State.Running}} {{.State.Pid}}", name],
        { env: baseEnv, reject: false },
      );
      const [running, pid] = r.stdout.trim().split(" ");
      return { running: running === "true", pid: Number(pid ?? 0) };
    };
    /** Time from `kill -9` of the main process to podman reporting it running with a new PID. */
    const killAndWait = async (name: string): Promise<number> => {
      const before = await stateOf(name);
      if (!before.running || before.pid <= 0) throw new Error(`${name} is not running`);
      const t0 = performance.now();
      process.kill(before.pid, "SIGKILL");
      while (performance.now() - t0 < RESTART_TIMEOUT_MS) {
        const now = await stateOf(name);
        if (now.running && now.pid > 0 && now.pid !== before.pid) return performance.now() - t0;
      }
      return Number.POSITIVE_INFINITY;
    };
    let archyKills = 0;
    let podmanKills = 0;
    const restarts = await interleaved(
      KILLS,
      [
        {
          name: "archy daemon",
          before: () => sleep(1_000),
          run: () => killAndWait(`archy-app${archyKills++}`),
        },
        {
          name: "podman --restart=always",
          before: () => sleep(1_000),
          run: () => killAndWait(`restart${podmanKills++}`),
        },
      ],
      { progress },
    );
    {
      const a = medianOf(restarts.get("archy daemon")!);
      const b = medianOf(restarts.get("podman --restart=always")!);
      rows.push({
        measure: `restart after \`kill -9\` of an app's main process, daemon running (p50 of ${KILLS} kills)`,
        archy: fmt(a),
        alternative: `podman's own \`--restart=always\`: ${fmt(b)}`,
        ratio: `${(a / b).toFixed(2)}x`,
        target: "<= 2x and p50 <= 0.5 s",
        result: verdict(a / b <= 2 && a <= 500),
      });
    }
    await podman(["rm", "--force", "--time", "0", ...restartPorts.map((_, i) => `restart${i}`)]);

    // 7. Recovery of 30 after a daemon crash and a simulated reboot.
    progress(`recovery after a daemon crash + podman stop --all (${RUNS_RECOVERY} runs each)`);
    const names30 = appNames(30);
    /** Polls one `podman ps` every 50 ms until all 30 run; ms since `t0`. */
    const until30Running = async (t0: number) => {
      for (;;) {
        const running = await runningNames();
        if (names30.every((n) => running.has(n))) return performance.now() - t0;
        if (performance.now() - t0 > 120_000) throw new Error("the 30 apps did not come back");
        await sleep(50);
      }
    };
    const ensureDaemon = async () => {
      if (!daemon) startDaemon();
      await daemonReady();
    };
    const reboot = () => podman(["stop", "--all", "--time", "1"]);
    const recovery = await interleaved(
      RUNS_RECOVERY,
      [
        {
          name: "archy daemon recovery",
          before: async () => {
            await ensureDaemon();
            await expectRunning(names30, "before the crash");
            await archy(["snapshot", "save"]);
            await crashDaemon();
            await reboot();
          },
          run: () => {
            const t0 = performance.now();
            startDaemon();
            return until30Running(t0);
          },
        },
        {
          name: "podman start x30",
          before: async () => {
            await ensureDaemon(); // done recovering, so the apps are up
            await crashDaemon();
            await reboot();
          },
          run: async () => {
            const t0 = performance.now();
            const start = podman(["start", ...names30]);
            const ms = await until30Running(t0);
            await start;
            return ms;
          },
        },
      ],
      { progress },
    );
    {
      const a = medianOf(recovery.get("archy daemon recovery")!);
      const b = medianOf(recovery.get("podman start x30")!);
      rows.push({
        measure: `recovery of 30 after a daemon SIGKILL + \`podman stop --all\`, daemon start to all running (median of ${RUNS_RECOVERY})`,
        archy: fmt(a),
        alternative: `one \`podman start\` of the 30: ${fmt(b)}`,
        ratio: `${(a / b).toFixed(2)}x`,
        target: "<= 1.05x",
        result: verdict(a / b <= 1.05),
      });
    }
    await crashDaemon(); // none runs after the podman contender; a no-op then

    // 8. The idle daemon with 30 http-checked apps.
    progress("switching the 30 apps to http health checks");
    for (let i = 0; i < 30; i++)
      await writeFile(
        join(apps30, `app${i}.yaml`),
        benchManifest(`app${i}`, store.image, ports[i]!, true),
      );
    await archy(["up"]);
    const { child } = startDaemon();
    await daemonReady();
    await sleep(5_000);
    progress(`daemon idle for ${IDLE_SECONDS} s`);
    const pid = child.pid!;
    const own0 = cpuOf(pid, false);
    const tree0 = processCpu(pid);
    const t0 = performance.now();
    await sleep(IDLE_SECONDS * 1000);
    const own1 = cpuOf(pid, false);
    const tree1 = processCpu(pid);
    const wall = (performance.now() - t0) / 1000;
    await stopDaemon();
    {
      const own = (100 * (own1 - own0)) / wall;
      const all = (100 * (tree1.self + tree1.live - tree0.self - tree0.live)) / wall;
      rows.push({
        measure: `daemon idle, 30 http-checked apps (10 s interval), CPU of a core over ${IDLE_SECONDS} s`,
        archy: `${own.toFixed(2)} % (${all.toFixed(2)} % with children)`,
        alternative: "—",
        ratio: "—",
        target: "<= 0.3 % (<= 1 % with children)",
        result: verdict(own <= 0.3 && all <= 1),
      });
    }
  } finally {
    await stopDaemon().catch(() => undefined);
    await store.cleanup();
    await dirs.remove();
  }

  const seconds = (performance.now() - started) / 1000;
  printComparison("archy against the alternatives", rows, {
    seconds,
    archy: version.stdout.trim(),
    podman: (await execa("podman", ["--version"])).stdout,
    load: [loadBefore, loadavg()[0]!],
  });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSpeed();
