// What notifications and metrics cost an idle daemon: the CPU of the daemon's
// process tree with 30 http-checked apps over one window each of
//
//   (a) `archy daemon` without a config file, nobody scraping,
//   (b) the same daemon with notifications configured (a webhook and an ntfy
//       target, both a receiver on loopback) and /metrics scraped every 15 s
//       over the socket (as Prometheus would; by this process, so Prometheus's
//       own CPU is not counted),
//
// side by side in one run, and prints each one's difference to (a) in
// percentage points of a core, PASS/FAIL against 0.1 pp. Runs alone (about 3
// minutes): `bash scripts/pnpm.sh exec tsx bench/alerts-idle.ts`, on the built
// CLI. ARCHY_BENCH_IDLE_SECONDS sets the window (60 s; 10 s with ARCHY_BENCH_QUICK=1).
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, request } from "node:http";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { createPodmanStore, freePort, tempDir, waitFor } from "@archy/test-utils";
import { idleWindow, type IdleWindow } from "./proc.js";
import { benchManifest } from "./lib.js";

const QUICK = process.env.ARCHY_BENCH_QUICK === "1";
const IDLE_SECONDS = Number(process.env.ARCHY_BENCH_IDLE_SECONDS ?? (QUICK ? 10 : 60));
const SETTLE_SECONDS = QUICK ? 3 : 10;
const APPS = 30;
const SCRAPE_MS = 15_000;
const LIMIT_PP = 0.1;

const progress = (line: string) => process.stderr.write(`alerts-idle: ${line}\n`);

export async function benchAlertsIdle(): Promise<(IdleWindow & { condition: string })[]> {
  const loadBefore = loadavg()[0]!;
  const bin = join(import.meta.dirname, "..", "packages", "cli", "bin", "archy.js");
  const store = await createPodmanStore();
  const dirs = await tempDir("archy-bench-alerts-");
  const apps = join(dirs.path, "apps");
  const receiver = createServer((req, res) =>
    req.resume().on("end", () => res.writeHead(204).end()),
  );
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  const port = (receiver.address() as { port: number }).port;
  const configFile = join(dirs.path, "archy.yaml");
  const env = {
    ...process.env,
    ...store.archyEnv,
    NO_COLOR: "1",
    ARCHY_STATE_DIR: join(dirs.path, "state"),
    ARCHY_MANIFESTS: apps,
    ARCHY_CONFIG: configFile,
  };
  let daemon: ChildProcess | null = null;
  const startDaemon = async () => {
    daemon = spawn(process.execPath, [bin, "daemon", "--interval", "30s"], {
      env,
      stdio: "ignore",
    });
    await waitFor(
      async () => {
        const r = await execa(process.execPath, [bin, "status", "--json"], { env, reject: false });
        try {
          return (
            ((JSON.parse(r.stdout) as { daemon: { passes?: number } | null }).daemon?.passes ??
              0) >= 1
          );
        } catch {
          return false;
        }
      },
      { timeoutMs: 120_000, intervalMs: 200, what: "the daemon's first pass" },
    );
    return daemon.pid!;
  };
  const stopDaemon = async () => {
    const d = daemon;
    daemon = null;
    if (!d) return;
    const exited = once(d, "exit");
    d.kill("SIGTERM");
    await exited;
  };
  const scrape = () =>
    new Promise<void>((resolve) => {
      const req = request(
        { socketPath: join(dirs.path, "state", "archy.sock"), path: "/metrics" },
        (res) => res.resume().on("end", resolve),
      );
      req.on("error", () => resolve());
      req.end();
    });

  const windows: (IdleWindow & { condition: string })[] = [];
  try {
    await mkdir(apps);
    for (let i = 0; i < APPS; i++)
      await writeFile(
        join(apps, `app${i}.yaml`),
        benchManifest(`app${i}`, store.image, await freePort(), true),
      );
    progress(`bringing up ${APPS} http-checked apps`);
    await execa(process.execPath, [bin, "up"], { env });

    await writeFile(configFile, "# no notify: nothing configured\n");
    let pid = await startDaemon();
    progress(`(a) idle for ${IDLE_SECONDS} s`);
    windows.push({
      condition: "(a) no notifications, not scraped",
      ...(await idleWindow(pid, IDLE_SECONDS, SETTLE_SECONDS)),
    });
    await stopDaemon();

    await writeFile(
      configFile,
      `notify:\n  targets:\n    - webhook: http://127.0.0.1:${port}/hook\n    - ntfy: http://127.0.0.1:${port}/topic\n`,
    );
    pid = await startDaemon();
    const scraping = setInterval(() => void scrape(), SCRAPE_MS);
    await scrape();
    progress(`(b) idle for ${IDLE_SECONDS} s`);
    windows.push({
      condition: `(b) 2 notify targets, /metrics scraped every ${SCRAPE_MS / 1000} s`,
      ...(await idleWindow(pid, IDLE_SECONDS, SETTLE_SECONDS)),
    });
    clearInterval(scraping);
  } finally {
    await stopDaemon().catch(() => undefined);
    receiver.close();
    await store.cleanup();
    await dirs.remove();
  }

  const base = windows[0]!;
  console.log(
    `\n== notifications and metrics: their cost to an idle daemon, ${APPS} http-checked apps, CPU of a core over ${IDLE_SECONDS} s each (${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpus().length} CPUs, load ${loadBefore.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)})`,
  );
  console.log(
    "| condition | daemon | daemon tree | loop wake-ups/s | vs (a), tree | target | result |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const [i, w] of windows.entries()) {
    const pp = w.tree - base.tree;
    console.log(
      `| ${w.condition} | ${w.own.toFixed(2)} % | ${w.tree.toFixed(2)} % | ${w.wakeups.toFixed(1)} | ${i === 0 ? "—" : `${pp >= 0 ? "+" : ""}${pp.toFixed(2)} pp`} | ${i === 0 ? "—" : `<= ${LIMIT_PP} pp`} | ${i === 0 ? "—" : pp <= LIMIT_PP ? "PASS" : "FAIL"} |`,
    );
  }
  return windows;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAlertsIdle();
