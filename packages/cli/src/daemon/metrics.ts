// GET /metrics: the daemon and its apps in Prometheus's text format, written
// by prom-client (the Prometheus project's Node client: its exposition is the
// one promtool checks, and nothing here hand-writes the format). The apps'
// gauges are read from the reconciler when scraped, so a daemon nobody
// scrapes does no metrics work but count. prom-client is loaded only by a
// daemon (the rest of the CLI never pays for it).
import {
  PHASES,
  type AppStatus,
  type ReconcileReport,
  type ReconcilerEvent,
} from "@archy/reconciler/api";
import type { ContainerUsage } from "@archy/runtime-podman";
import type { Gauge, Registry } from "prom-client";

/** What the metrics read of the reconciler. */
export interface MetricsSource {
  status(): Promise<AppStatus[]>;
  subscribe(listener: (event: ReconcilerEvent) => void): () => void;
}

export interface DaemonMetrics {
  /** Reads the apps from `source` at each scrape, and counts its oom events. */
  watch(source: MetricsSource): void;
  /** `runtime` with each call counted and timed per method (its streams are left as they are). */
  instrument<T extends object>(runtime: T): T;
  /** A pass ended. */
  passed(report: ReconcileReport): void;
  /** A new `podman events` stream was opened (the first is not a reconnect). */
  streamOpened(): void;
  /** Writing the snapshot failed. */
  snapshotFailed(): void;
  /** A notification was delivered to a target, or not. */
  notified(target: string, ok: boolean): void;
  /** The apps' containers' CPU and memory (`podman stats`), sampled at a scrape, at most every minute. */
  watchUsage(sample: () => Promise<ContainerUsage[]>): void;
  /** The free space of archy's filesystems, read at each scrape. */
  watchDisk(
    spaces: () => { what: string; path: string; freeBytes: number; thresholdBytes: number }[],
  ): void;
  render(): Promise<{ contentType: string; body: string }>;
}

/** How old a `podman stats` sample may be when scraped. */
export const USAGE_EVERY_MS = 60_000;

/** Methods that return a stream, not a promise: not timed. */
const STREAMS = new Set(["events", "followContainerLogs"]);

/** Whether the app does its job: it runs, and is healthy when it has a check. */
const isUp = (s: AppStatus) => s.phase === "running" && s.health !== "unhealthy";

export async function createDaemonMetrics(now: () => number = Date.now): Promise<DaemonMetrics> {
  const prom = await import("prom-client");
  const registry: Registry = new prom.Registry();
  const registers = [registry];

  let apps: AppStatus[] = [];
  // The apps are read once per scrape, by the first gauge collected.
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    set: (g: Gauge, s: AppStatus) => void,
  ) =>
    new prom.Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const s of apps) set(this, s);
      },
    });
  gauge(
    "archy_app_up",
    "1 when the app runs (and is healthy, when checked), else 0.",
    ["app"],
    (g, s) => g.set({ app: s.id }, isUp(s) ? 1 : 0),
  );
  gauge(
    "archy_app_phase",
    "The app's phase: 1 for the one it is in, 0 for the others.",
    ["app", "phase"],
    (g, s) => {
      for (const phase of PHASES) g.set({ app: s.id, phase }, s.phase === phase ? 1 : 0);
    },
  );
  gauge(
    "archy_app_healthy",
    "1 healthy, 0 unhealthy, for apps with a health check that has an answer.",
    ["app"],
    (g, s) => {
      if (s.health === "healthy" || s.health === "unhealthy")
        g.set({ app: s.id }, s.health === "healthy" ? 1 : 0);
    },
  );
  gauge(
    "archy_app_restarts",
    "Starts archy made after the app stopped running, as this daemon counts them.",
    ["app"],
    (g, s) => g.set({ app: s.id }, s.restarts),
  );
  gauge(
    "archy_app_last_exit_code",
    "The exit code of the app's container when it last exited (absent while it never did).",
    ["app"],
    (g, s) => {
      if (s.container?.exitCode != null) g.set({ app: s.id }, s.container.exitCode);
    },
  );
  gauge(
    "archy_app_backoff_seconds",
    "Seconds until the next start of an app in back-off; 0 when none is due.",
    ["app"],
    (g, s) =>
      g.set(
        { app: s.id },
        s.nextRetryAt ? Math.max(0, (Date.parse(s.nextRetryAt) - now()) / 1000) : 0,
      ),
  );
  const oomKills = new prom.Counter({
    name: "archy_app_oom_kills_total",
    help: "Exits of the app's container the kernel made for memory, seen by this daemon.",
    labelNames: ["app"],
    registers,
  });
  let source: MetricsSource | null = null;

  const passes = new prom.Histogram({
    name: "archy_pass_duration_seconds",
    help: "How long each reconcile pass took.",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const passErrors = new prom.Counter({
    name: "archy_pass_errors_total",
    help: "Passes that could not observe podman, or failed an app's action.",
    registers,
  });
  const calls = new prom.Histogram({
    name: "archy_podman_call_duration_seconds",
    help: "podman calls by method: their latency (the _count is the number of calls).",
    labelNames: ["method"],
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers,
  });
  const callErrors = new prom.Counter({
    name: "archy_podman_call_errors_total",
    help: "podman calls that failed, by method.",
    labelNames: ["method"],
    registers,
  });
  const reconnects = new prom.Counter({
    name: "archy_event_stream_reconnects_total",
    help: "podman events streams opened after the first.",
    registers,
  });
  const snapshotFailures = new prom.Counter({
    name: "archy_snapshot_write_failures_total",
    help: "Snapshot writes that failed (the next change tries again).",
    registers,
  });
  const notifications = new prom.Counter({
    name: "archy_notifications_total",
    help: "Attempts to deliver a notification, by target and result (delivered, failed).",
    labelNames: ["target", "result"],
    registers,
  });
  // podman stats costs a process (about 0.15 s of CPU): one sample serves the scrapes of a minute.
  let sampleUsage: () => Promise<ContainerUsage[]> = async () => [];
  // The gauges are collected side by side: they share one sample (a promise).
  let usage: { at: number; byApp: Promise<Map<string, ContainerUsage>> } | null = null;
  const appUsage = () => {
    if (usage === null || now() - usage.at >= USAGE_EVERY_MS)
      usage = {
        at: now(),
        byApp: sampleUsage()
          .catch(() => [])
          .then((list) => {
            const byApp = new Map<string, ContainerUsage>();
            for (const u of list) if (u.name.startsWith("archy-")) byApp.set(u.name.slice(6), u);
            return byApp;
          }),
      };
    return usage.byApp;
  };
  const usageGauge = (name: string, help: string, value: (u: ContainerUsage) => number) =>
    new prom.Gauge({
      name,
      help,
      labelNames: ["app"],
      registers,
      async collect() {
        this.reset();
        for (const [app, u] of await appUsage()) this.set({ app }, value(u));
      },
    });
  usageGauge(
    "archy_app_cpu_seconds",
    "CPU time the app's container used since it started (podman stats; rate() it).",
    (u) => u.cpuNanos / 1e9,
  );
  usageGauge(
    "archy_app_memory_bytes",
    "Memory the app's container uses (podman stats).",
    (u) => u.memoryBytes,
  );
  usageGauge(
    "archy_app_memory_limit_bytes",
    "The memory the app's container may use: its limit, else the host's.",
    (u) => u.memoryLimitBytes,
  );
  let disk: Parameters<DaemonMetrics["watchDisk"]>[0] = () => [];
  new prom.Gauge({
    name: "archy_disk_free_bytes",
    help: "Free space of the filesystems archy writes to (its state folder, podman's storage).",
    labelNames: ["what", "path"],
    registers,
    collect() {
      this.reset();
      for (const d of disk()) this.set({ what: d.what, path: d.path }, d.freeBytes);
    },
  });
  new prom.Gauge({
    name: "archy_disk_low",
    help: "1 when the filesystem is under its threshold (pulls are refused), else 0.",
    labelNames: ["what", "path"],
    registers,
    collect() {
      this.reset();
      for (const d of disk())
        this.set({ what: d.what, path: d.path }, d.freeBytes < d.thresholdBytes ? 1 : 0);
    },
  });
  let streams = 0;

  return {
    watch(from) {
      source = from;
      from.subscribe((e) => {
        if (e.type === "oom") oomKills.inc({ app: e.app });
      });
    },
    instrument<T extends object>(runtime: T): T {
      return new Proxy(runtime, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver) as unknown;
          if (typeof value !== "function" || typeof key !== "string" || STREAMS.has(key))
            return value;
          return (...args: unknown[]) => {
            const end = calls.startTimer({ method: key });
            let result: unknown;
            try {
              result = (value as (...a: unknown[]) => unknown).apply(target, args);
            } catch (error) {
              end();
              callErrors.inc({ method: key });
              throw error;
            }
            if (!(result instanceof Promise)) {
              end();
              return result;
            }
            return result.then(
              (v: unknown) => (end(), v),
              (error: unknown) => {
                end();
                callErrors.inc({ method: key });
                throw error;
              },
            );
          };
        },
      });
    },
    passed(report) {
      passes.observe(report.durationMs / 1000);
      if (report.error || report.failures.length > 0) passErrors.inc();
    },
    streamOpened() {
      if (streams++ > 0) reconnects.inc();
    },
    snapshotFailed() {
      snapshotFailures.inc();
    },
    watchDisk(spaces) {
      disk = spaces;
    },
    watchUsage(sample) {
      sampleUsage = sample;
    },
    notified: (target, ok) => notifications.inc({ target, result: ok ? "delivered" : "failed" }),
    async render() {
      apps = (await source?.status()) ?? [];
      try {
        return { contentType: registry.contentType, body: await registry.metrics() };
      } finally {
        apps = [];
      }
    },
  };
}
