// The "podman that fails" scenario, shared by the integration test (a short
// run) and bench/chaos-faults.ts (a long one): an archy daemon on a real
// isolated store runs its apps through a fault-injecting podman; a client
// hammers its API, apps are killed now and then; faults stop; the figures.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createFaultyPodman, type FaultyPodman } from "./faulty-podman.js";
import { descendants, get, manifest, seeded } from "./faults-scenario-helpers.js";
import { createPodmanStore, type PodmanStore } from "./podman-store.js";
import { tempDir, waitFor } from "./temp.js";

export interface FaultsScenarioOptions {
  /** The built `archy` program (packages/cli/bin/archy.js). */
  archyBin: string;
  /** How long the daemon runs under faults. */
  faultSeconds: number;
  /** The share of podman calls that fail; default 0.3. */
  share?: number;
  seed?: number;
  /** Number of apps; default 4. */
  apps?: number;
  /** The daemon's --interval; default 5 s. */
  intervalMs?: number;
  /** ARCHY_PODMAN_TIMEOUT_MS; a hanging call sleeps 3 s longer. Default 5 s (a loaded machine's `podman run` can take 2). */
  podmanTimeoutMs?: number;
  /**
   * An app is killed (the real podman's `kill`) this often under faults;
   * default 4 s. No kill comes in the last interval of the faults: the
   * convergence measured after them is podman's recovery, not the back-off
   * of an app killed a moment before (a restart after a kill is measured on
   * its own once converged).
   */
  killEveryMs?: number;
  progress?: (line: string) => void;
  /** A folder to copy the daemon's log and the wrapper's call log into, for a look afterwards. */
  keepLogsIn?: string;
}

export interface FaultsScenarioResult {
  /** API requests answered (any status) over the whole run, and those that were not. */
  requests: number;
  unanswered: number;
  /** The slowest answer, and how many took over a second. */
  worstApiMs: number;
  slowRequests: number;
  /** Apps whose container was replaced (nothing in the scenario calls for one). */
  needlessRecreates: number;
  recreated: string[];
  /** From faults off until podman, the API and the snapshot all show every app running and the event stream runs; -1 if never. */
  convergeMs: number;
  /** The same from the end of the last injected fault (a hang in flight at faults off ends at archy's timeout). */
  convergeAfterSickMs: number;
  intervalMs: number;
  /** Times the daemon exited before it was asked to. */
  daemonExits: number;
  /** `podman kill`s of apps under faults. */
  kills: number;
  /** podman calls archy made, and the faults they suffered, by kind. */
  calls: number;
  faults: Record<string, number>;
  /** Snapshots read, and running sets that lost an app no kill explains. */
  snapshots: number;
  snapshotLosses: string[];
  /** After faults, apps killed with the event stream back: kill to the API showing it not running… */
  killNoticedMs: number[];
  /** …and kill to podman reporting it running again. */
  killRestartedMs: number[];
  /** The daemon's exit code after SIGTERM at the end. */
  exitCode: number | null;
  /** The end of the daemon's stderr and of its log, for a failure's report. */
  daemonStderr: string;
  daemonLog: string;
}

interface AppJson {
  id: string;
  phase: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How much older than the snapshot the observation it holds may be when podman keeps failing. */
const STALE_MS = 30_000;

/**
 * Runs the scenario end to end on a fresh isolated store and returns its
 * figures; it asserts nothing itself. Every podman command it runs holds
 * nothing but its own store (callers serialise podman suites).
 */
export async function runFaultsScenario(
  opts: FaultsScenarioOptions,
): Promise<FaultsScenarioResult> {
  const progress = opts.progress ?? (() => undefined);
  const share = opts.share ?? 0.3;
  const seed = opts.seed ?? 1;
  const intervalMs = opts.intervalMs ?? 5_000;
  const timeoutMs = opts.podmanTimeoutMs ?? 5_000;
  const random = seeded(seed);
  const ids = Array.from({ length: opts.apps ?? 4 }, (_, i) => `chaos${i + 1}`);
  const name = (id: string) => `archy-${id}`;

  const work = await tempDir("archy-faults-");
  let store: PodmanStore | null = null;
  let daemon: ChildProcess | null = null;
  try {
    store = await createPodmanStore();
    const s = store;
    const apps = join(work.path, "apps");
    const stateDir = join(work.path, "state");
    await mkdir(apps);
    for (const id of ids) await writeFile(join(apps, `${id}.yaml`), manifest(id, s.image));
    const faulty: FaultyPodman = await createFaultyPodman(join(work.path, "podman"), {
      config: { seed, hangMs: timeoutMs + 3_000, eventsDieAfterMs: [1_000, 8_000] },
    });
    const realPodman = faulty.realPodman;
    const socket = join(stateDir, "archy.sock");
    const env = {
      ...(process.env as Record<string, string>),
      ...s.archyEnv,
      ARCHY_PODMAN: faulty.path,
      ARCHY_PODMAN_TIMEOUT_MS: String(timeoutMs),
      ARCHY_STATE_DIR: stateDir,
      ARCHY_MANIFESTS: apps,
      NO_COLOR: "1",
    };

    // ---- the daemon, its apps running ---------------------------------------------
    let stopping = false;
    let daemonExits = 0;
    let daemonStderr = "";
    const d = spawn(process.execPath, [opts.archyBin, "daemon", "--interval", `${intervalMs}ms`], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    daemon = d;
    d.stderr!.on(
      "data",
      (c: Buffer) => (daemonStderr = (daemonStderr + c.toString()).slice(-8_000)),
    );
    const exited = new Promise<number | null>((resolve) =>
      d.once("exit", (code) => {
        if (!stopping) daemonExits++;
        resolve(code);
      }),
    );
    const appsNow = async () =>
      (JSON.parse((await get(socket, "/v1/apps", 2_000)).body) as { apps: AppJson[] }).apps;
    const podmanView = async () => {
      const out = (await s.podman(["ps", "-a", "--format", "json"])).stdout;
      const list = JSON.parse(out) as { Id: string; Names: string[]; State: string }[];
      return new Map(list.map((c) => [c.Names[0]!, c]));
    };
    const allRunning = async () => {
      const view = await podmanView();
      return ids.every((id) => view.get(name(id))?.State === "running") ? view : false;
    };
    await waitFor(
      async () => {
        if (d.exitCode !== null)
          throw new Error(`the daemon exited ${d.exitCode}: ${daemonStderr}`);
        const api = await appsNow().catch(() => []);
        return (
          (await allRunning()) !== false &&
          api.filter((a) => a.phase === "running").length === ids.length
        );
      },
      { timeoutMs: 60_000, intervalMs: 200, what: "the daemon and its apps running" },
    );
    const initial = new Map([...(await podmanView())].map(([n, c]) => [n, c.Id]));
    progress(
      `daemon up, ${ids.length} apps running; faults on (${share * 100} %) for ${opts.faultSeconds} s`,
    );

    // ---- the API client ----------------------------------------------------------
    let requests = 0;
    let unanswered = 0;
    let worstApiMs = 0;
    let slowRequests = 0;
    let hammering = true;
    // Reads, and now and then a pass asked for (202 at once; the pass calls podman).
    const paths = ["/v1/apps", "/v1/daemon", `/v1/apps/${ids[0]}`, "/v1/snapshot"];
    paths.push(...paths, "POST /v1/reconcile");
    const hammer = (async () => {
      for (let i = 0; hammering; i++) {
        const t0 = performance.now();
        try {
          await get(socket, paths[i % paths.length]!, 5_000);
          requests++;
        } catch {
          unanswered++;
        }
        const ms = performance.now() - t0;
        worstApiMs = Math.max(worstApiMs, ms);
        if (ms > 1_000) slowRequests++;
        await sleep(20);
      }
    })();

    // ---- the snapshot's running set ---------------------------------------------------
    const kills: { id: string; at: number }[] = [];
    const snapshotLosses: string[] = [];
    let snapshots = 0;
    let lastSavedAt = 0;
    // Snapshots of the start-up (apps not yet all running) are not the scenario's.
    const watchFrom = Date.now();
    /** When each app was last in a snapshot's running set (its savedAt). */
    const lastIn = new Map(ids.map((id) => [id, Date.now()]));
    const readSnapshot = async () => {
      let env: { savedAt: number; data: { containers: { name: string }[] } };
      try {
        env = JSON.parse(await readFile(join(stateDir, "snapshot.json"), "utf8")) as typeof env;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error; // a torn snapshot is a failure of its own
      }
      if (env.savedAt === lastSavedAt || env.savedAt < watchFrom) return env;
      lastSavedAt = env.savedAt;
      snapshots++;
      const running = new Set(env.data.containers.map((c) => c.name));
      for (const id of ids) {
        if (running.has(name(id))) lastIn.set(id, env.savedAt);
        // Absent: only a kill explains it, one after the observation of the last
        // snapshot that had it running (that observation may be STALE_MS older).
        else if (
          !kills.some(
            (k) => k.id === id && k.at <= env.savedAt && k.at >= lastIn.get(id)! - STALE_MS,
          )
        )
          snapshotLosses.push(
            `${new Date(env.savedAt).toISOString()}: ${id} missing from [${[...running].join(", ")}]`,
          );
      }
      return env;
    };
    let watching = true;
    const snapshotWatch = (async () => {
      while (watching) {
        await readSnapshot();
        await sleep(100);
      }
    })();

    // ---- faults, and kills meanwhile ------------------------------------------------
    await faulty.configure({ share });
    const faultsUntil = Date.now() + opts.faultSeconds * 1_000;
    const killsUntil = faultsUntil - intervalMs;
    while (Date.now() < faultsUntil && d.exitCode === null) {
      await sleep(Math.min(opts.killEveryMs ?? 4_000, faultsUntil - Date.now()));
      if (Date.now() >= killsUntil) continue;
      const id = ids[Math.floor(random() * ids.length)]!;
      kills.push({ id, at: Date.now() });
      await s.podman(["kill", name(id)], { reject: false });
    }
    await faulty.configure({ share: 0 });
    const faultsOff = Date.now();
    const lastKill = Math.max(0, ...kills.map((k) => k.at));
    progress(`faults off after ${kills.length} kills; waiting for convergence`);

    // ---- convergence: podman, the API, the snapshot, the event stream ----------------------
    const eventsRunning = () =>
      descendants(d.pid!).some((p) => p.argv[0] === realPodman && p.argv.includes("events"));
    let convergeMs = -1;
    const convergeDeadline = faultsOff + Math.max(4 * intervalMs, 20_000) + timeoutMs;
    while (Date.now() < convergeDeadline && d.exitCode === null) {
      const view = await allRunning();
      const api = view ? await appsNow().catch(() => []) : [];
      const snap = view ? await readSnapshot() : null;
      if (
        view &&
        api.filter((a) => a.phase === "running").length === ids.length &&
        snap !== null &&
        // Written after the last kill (an unchanged state is not written again).
        snap.savedAt >= lastKill &&
        ids.every((id) => snap.data.containers.some((c) => c.name === name(id))) &&
        eventsRunning()
      ) {
        convergeMs = Date.now() - faultsOff;
        break;
      }
      await sleep(100);
    }
    progress(`converged in ${convergeMs} ms; kills with the event stream back`);

    // ---- the event stream is back: a kill is acted on at once ------------------------
    const killNoticedMs: number[] = [];
    const killRestartedMs: number[] = [];
    if (convergeMs >= 0)
      for (const id of ids.slice(0, 2)) {
        // StartedAt to the nanosecond: a restart within the same second shows.
        const started = async () =>
          (
            await s.podman([
              "inspect",
              "--format",
              "{{.State.Status}} {{.State.StartedAt}}",
              name(id),
            ])
          ).stdout.trim();
        const before = await started();
        const t0 = Date.now();
        kills.push({ id, at: t0 });
        await s.podman(["kill", name(id)]);
        // Noticed: the API shows another phase than running (a pass or the event stream).
        const noticed = await waitFor(
          async () => {
            const app = (
              JSON.parse((await get(socket, `/v1/apps/${id}`, 2_000)).body) as { app: AppJson }
            ).app;
            return app.phase !== "running" ? Date.now() - t0 : false;
          },
          { timeoutMs: 3 * intervalMs, intervalMs: 20, what: `${id} noticed` },
        ).catch(() => Number.POSITIVE_INFINITY);
        const back = await waitFor(
          async () => {
            const now = await started();
            return now.startsWith("running ") && now !== before ? Date.now() - t0 : false;
          },
          { timeoutMs: 3 * intervalMs + 5_000, intervalMs: 25, what: `${id} running again` },
        ).catch(() => Number.POSITIVE_INFINITY);
        killNoticedMs.push(noticed);
        killRestartedMs.push(back);
        await waitFor(async () => (await appsNow()).every((a) => a.phase === "running"), {
          timeoutMs: 10_000,
          what: "every app running",
        }).catch(() => undefined);
      }

    // ---- the end ----------------------------------------------------------------
    hammering = false;
    watching = false;
    await hammer;
    await snapshotWatch;
    const final = await podmanView();
    const recreated = ids.filter((id) => final.get(name(id))?.Id !== initial.get(name(id)));
    const records = await faulty.records();
    // When podman was last sick: a hang injected just before faults stopped lasts until archy's timeout.
    const sickUntil = Math.max(
      faultsOff,
      ...records
        .filter((r) => r.fault !== "none" && r.command !== "events")
        .map((r) => (r.fault === "hang" ? r.at + timeoutMs : r.at)),
    );
    const faults: Record<string, number> = {};
    for (const r of records)
      if (r.fault !== "none") {
        const key = `${r.command === "events" ? "events " : ""}${r.fault}`;
        faults[key] = (faults[key] ?? 0) + 1;
      }
    stopping = true;
    d.kill("SIGTERM");
    const exitCode = await Promise.race([exited, sleep(30_000).then(() => null)]);
    daemon = null;
    const daemonLog = (await readFile(join(stateDir, "log", "archy.log"), "utf8").catch(() => ""))
      .split("\n")
      .slice(-60)
      .join("\n");

    return {
      requests,
      unanswered,
      worstApiMs: Math.round(worstApiMs),
      slowRequests,
      needlessRecreates: recreated.length,
      recreated,
      convergeMs,
      convergeAfterSickMs: convergeMs < 0 ? -1 : Math.max(0, faultsOff + convergeMs - sickUntil),
      intervalMs,
      daemonExits,
      kills: kills.length,
      calls: records.length,
      faults,
      snapshots,
      snapshotLosses,
      killNoticedMs,
      killRestartedMs,
      exitCode,
      daemonStderr,
      daemonLog,
    };
  } finally {
    if (daemon && daemon.exitCode === null) daemon.kill("SIGKILL");
    if (opts.keepLogsIn) {
      await mkdir(opts.keepLogsIn, { recursive: true });
      for (const [from, to] of [
        ["state/log/archy.log", "archy.log"],
        ["podman/faults.log", "calls.log"],
      ] as const)
        await copyFile(join(work.path, from), join(opts.keepLogsIn, to)).catch((e: unknown) =>
          progress(`could not keep ${from}: ${String(e)}`),
        );
    }
    await store?.cleanup();
    await work.remove();
  }
}
