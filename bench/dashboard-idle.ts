// What the status page costs an idle daemon: the CPU of the daemon's process
// tree (the daemon with its reaped children and its live descendants, such as
// `podman events`; never the browsers, which are this process's children)
// with 30 http-checked apps, over one window each of
//
//   (a) `archy daemon` without --http,
//   (b) `archy daemon --http` with no browser connected,
//   (c) the same with 10 headless Chromium browsers on the page (each its own
//       browser and profile: one browser's tabs would share its 6 HTTP/1.1
//       connections per host, and the tabs past the sixth would never connect),
//   (d) the same after the 10 browsers have gone,
//
// and prints the table with each one's difference to (a) in percentage points
// of a core, PASS/FAIL against 0.5 pp, and the daemon's event-loop wake-ups
// per second (a timer of the page's would show there first). Runs alone (about 6 minutes):
// `bash scripts/pnpm.sh run bench:dashboard`, on the built CLI
// (packages/cli/bin/archy.js), with Debian's chromium (scripts/setup.sh).
// ARCHY_BENCH_IDLE_SECONDS sets the window (60 s; 10 s with ARCHY_BENCH_QUICK=1).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { createPodmanStore, freePort, tempDir, waitFor } from "@archy/test-utils";
import { launchChromium, type OpenBrowser } from "../packages/cli/test/browser.js";
import { poll } from "../packages/cli/test/dashboard-page.js";
import { idleWindow } from "./proc.js";
import { benchManifest } from "./lib.js";

const QUICK = process.env.ARCHY_BENCH_QUICK === "1";
const IDLE_SECONDS = Number(process.env.ARCHY_BENCH_IDLE_SECONDS ?? (QUICK ? 10 : 60));
const SETTLE_SECONDS = QUICK ? 3 : 10;
const APPS = 30;
const BROWSERS = 10;
const LIMIT_PP = 0.5;

/** playwright-core's Page (a dependency of @archy/cli's tests, not of bench/). */
type Page = Awaited<ReturnType<OpenBrowser["context"]["newPage"]>>;

const progress = (line: string) => process.stderr.write(`dashboard-idle: ${line}\n`);

/** Established TCP connections whose local port is `port` (the daemon's side of each client). */
function establishedTo(port: number): number {
  let n = 0;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 3 && f[3] === "01" && parseInt(f[1]!.split(":")[1]!, 16) === port) n++;
    }
  }
  return n;
}

interface Window {
  condition: string;
  /** % of a core: the daemon alone, and its whole tree. */
  own: number;
  tree: number;
  /** The daemon's event loop: wake-ups per second. */
  wakeups: number;
  note: string;
}

export async function benchDashboardIdle(): Promise<Window[]> {
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const bin = join(import.meta.dirname, "..", "packages", "cli", "bin", "archy.js");
  const version = await execa(process.execPath, [bin, "--version"], { reject: false });
  if (version.exitCode !== 0)
    throw new Error(`${bin} --version failed (build first): ${version.stderr}`);
  progress("creating an isolated podman store");
  const store = await createPodmanStore();
  const dirs = await tempDir("archy-bench-dashboard-");
  const apps = join(dirs.path, "apps");
  const env = {
    ...process.env,
    ...store.archyEnv,
    NO_COLOR: "1",
    ARCHY_STATE_DIR: join(dirs.path, "state"),
    ARCHY_MANIFESTS: apps,
  };
  const archy = (args: string[]) => execa(process.execPath, [bin, ...args], { env });
  const httpPort = await freePort();
  let daemon: { child: ChildProcess; exited: Promise<unknown> } | null = null;
  const browsers: OpenBrowser[] = [];
  const pages: Page[] = [];

  const startDaemon = async (extra: string[]) => {
    const child = spawn(process.execPath, [bin, "daemon", "--interval", "30s", ...extra], {
      env,
      stdio: "ignore",
    });
    daemon = { child, exited: new Promise((r) => child.once("exit", r)) };
    await waitFor(
      async () => {
        const r = await execa(process.execPath, [bin, "status", "--json"], { env, reject: false });
        try {
          const info = (JSON.parse(r.stdout) as { daemon: { passes?: number } | null }).daemon;
          return info !== null && (info.passes ?? 0) >= 1;
        } catch {
          return false;
        }
      },
      { timeoutMs: 120_000, intervalMs: 200, what: "the daemon's first pass" },
    );
    return child.pid!;
  };
  const stopDaemon = async () => {
    if (!daemon) return;
    daemon.child.kill("SIGTERM");
    await daemon.exited;
    daemon = null;
  };
  const closeBrowsers = async () => {
    pages.length = 0;
    await Promise.allSettled(browsers.splice(0).map((b) => b.close()));
  };
  /** The daemon tree's CPU over one idle window after a settling pause. */
  const measure = async (pid: number, condition: string, note: () => string) => {
    progress(`${condition}: idle for ${IDLE_SECONDS} s`);
    const w: Window = {
      condition,
      ...(await idleWindow(pid, IDLE_SECONDS, SETTLE_SECONDS)),
      note: note(),
    };
    progress(
      `  ${w.own.toFixed(2)} % (${w.tree.toFixed(2)} % with children), ${w.wakeups.toFixed(1)} wake-ups/s ${w.note}`,
    );
    return w;
  };

  const stop = async () => {
    await closeBrowsers();
    await stopDaemon().catch(() => undefined);
    await store.cleanup();
    await dirs.remove();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: cleaning up`);
    void stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const windows: Window[] = [];
  try {
    await mkdir(apps);
    for (let i = 0; i < APPS; i++)
      await writeFile(
        join(apps, `app${i}.yaml`),
        benchManifest(`app${i}`, store.image, await freePort(), true),
      );
    progress(`bringing up ${APPS} http-checked apps`);
    await archy(["up"]);

    // (a)
    let pid = await startDaemon([]);
    windows.push(await measure(pid, "(a) archy daemon, no --http", () => ""));
    await stopDaemon();

    // (b), (c), (d): one daemon with --http.
    pid = await startDaemon(["--http", `127.0.0.1:${httpPort}`]);
    const { url } = JSON.parse((await archy(["dashboard", "--json", "--no-open"])).stdout) as {
      url: string;
    };
    const conns = () => `${establishedTo(httpPort)} connections to the HTTP port`;
    windows.push(await measure(pid, "(b) --http, no browser", conns));

    progress(`opening the page in ${BROWSERS} Chromium browsers`);
    for (let i = 0; i < BROWSERS; i++) {
      const b = await launchChromium();
      browsers.push(b);
      const page = await b.context.newPage();
      pages.push(page);
      await page.goto(url);
      await page.waitForSelector('[data-testid="connection"][data-state="live"]', {
        timeout: 30_000,
      });
      await poll(page, `document.querySelectorAll("[data-app]").length === ${APPS}`, {
        timeoutMs: 30_000,
        what: `the ${APPS} rows`,
      });
    }
    windows.push(
      await measure(pid, `(c) --http, ${BROWSERS} browsers on the page`, () => {
        const problems = browsers.reduce((n, b) => n + b.problems.length, 0);
        return `${conns()}, ${problems} console errors`;
      }),
    );
    // Still connected at the end of the window, every one of them.
    for (const [i, page] of pages.entries()) {
      const state = await page.locator('[data-testid="connection"]').getAttribute("data-state");
      if (state !== "live") throw new Error(`browser ${i + 1}'s page is ${state}, not live`);
    }
    await closeBrowsers();
    windows.push(await measure(pid, `(d) --http, the ${BROWSERS} browsers gone`, conns));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await stop();
  }

  printTable(windows, {
    seconds: (performance.now() - started) / 1000,
    archy: version.stdout.trim(),
    load: [loadBefore, loadavg()[0]!],
  });
  return windows;
}

function printTable(
  windows: Window[],
  run: { seconds: number; archy: string; load: [number, number] },
): void {
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: import.meta.dirname,
    encoding: "utf8",
  }).stdout.trim();
  const none = windows[0]!;
  const header = [
    "condition",
    "daemon",
    "daemon tree",
    "loop wake-ups/s",
    "vs (a), daemon",
    "vs (a), tree",
    "target (tree)",
    "result",
  ];
  const signed = (pp: number) => `${pp >= 0 ? "+" : ""}${pp.toFixed(2)} pp`;
  const rows = windows.map((w, i) => {
    const pp = w.tree - none.tree;
    return [
      `${w.condition}${w.note ? ` (${w.note})` : ""}`,
      `${w.own.toFixed(2)} %`,
      `${w.tree.toFixed(2)} %`,
      w.wakeups.toFixed(1),
      i === 0 ? "—" : signed(w.own - none.own),
      i === 0 ? "—" : signed(pp),
      i === 0 ? "—" : `<= ${LIMIT_PP} pp`,
      i === 0 ? "—" : pp <= LIMIT_PP ? "PASS" : "FAIL",
    ];
  });
  const lines = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(
    `\n== the status page's cost to an idle daemon, ${APPS} http-checked apps (10 s interval), CPU of a core over ${IDLE_SECONDS} s each (${new Date().toISOString().slice(0, 10)}, commit ${commit || "?"}, archy ${run.archy}, node ${process.version}, ${cpus().length} CPUs, load ${run.load.map((l) => l.toFixed(1)).join(" -> ")}; ${run.seconds.toFixed(0)} s)`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const l of rows) console.log(line(l));
}

if (import.meta.url === `file://${process.argv[1]}`) await benchDashboardIdle();
