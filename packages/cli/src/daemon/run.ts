import { chmod, unlink } from "node:fs/promises";
import { join } from "node:path";
import { acquireMarker, type Marker } from "@archy/crash-marker";
import { remoteDigest, sleep, systemClock } from "@archy/runtime-podman";
import {
  ReconcileLoop,
  Reconciler,
  snapshotStateStore,
  type AppStatus,
  type RecoveryReport,
  type ReconcileReport,
} from "@archy/reconciler";
import { createNotifier, readServiceIdentity, type Notifier } from "@archy/systemd";
import type { Context } from "../context.js";
import { EXIT } from "../cli-error.js";
import { ensureStateDir } from "../state-lock.js";
import { createDaemonLogger } from "../logger.js";
import { VERSION } from "../version.js";
import { createApiHandler, createApiServer, type ApiHandler } from "./api.js";
import { DEFAULT_API_LIMITS } from "./limits.js";
import type { HttpAddress } from "./http-address.js";
import type { HttpInfo } from "./http-start.js";
import { createLogSource } from "../log-source.js";
import { podmanVersion } from "./podman-version.js";

/** Container events after which the snapshot is written again. */
export const RUNNING_SET_EVENTS: ReadonlySet<string> = new Set([
  "create",
  "start",
  "died",
  "stop",
  "kill",
  "remove",
  "pause",
  "unpause",
  "restart",
]);

/** The `STATUS=` line `systemctl status archy` shows after a pass. */
export function appsStatusLine(apps: readonly AppStatus[], report: ReconcileReport): string {
  const running = apps.filter((a) => a.phase === "running").length;
  const stopped = apps.filter((a) => a.phase === "stopped").length;
  const other = apps.length - running - stopped;
  return `${apps.length} app${apps.length === 1 ? "" : "s"}: ${running} running, ${stopped} stopped${other ? `, ${other} in other phases` : ""}${report.observed ? "" : `; podman could not be observed: ${report.error ?? "?"}`}`;
}

/**
 * The supervisor of SPEC section 5: marker, recovery, an immediate pass, then
 * event-driven and interval passes, snapshots, the API, a clean shutdown.
 * Resolves with the exit code.
 */
export async function runDaemon(
  ctx: Context,
  opts: { intervalMs: number; http?: HttpAddress | null; updateCheckMs?: number | null },
): Promise<number> {
  await ensureStateDir(ctx.stateDir);
  const marker: Marker = await acquireMarker(ctx.stateDir); // AlreadyRunningError -> exit 3
  const logOnStderr = process.stderr.isTTY === true && !ctx.quiet;
  const { logger: log, close: closeLog } = await createDaemonLogger(ctx.stateDir, {
    tty: logOnStderr,
  });
  // Under systemd (Type=notify): STATUS= lines, READY=1 after recovery and the first pass,
  // STOPPING=1 on SIGTERM. Without NOTIFY_SOCKET, notify is null and nothing of this happens.
  const service = await readServiceIdentity();
  const notify: Notifier | null = createNotifier({
    env: process.env,
    onError: (e) => log.warn({ err: e.message }, "a systemd notification was not delivered"),
  });
  // Keep-alives start now, not at READY: before it they extend TimeoutStartSec= while this
  // process is alive (recovery and a first pass that pulls images can take minutes), after it
  // they feed the watchdog. A wedged event loop sends neither, and systemd acts.
  notify?.startWatchdog();
  let server: ReturnType<typeof createApiServer> | null = null;
  let httpServer: ReturnType<typeof createApiServer> | null = null;
  let api: ApiHandler | null = null;
  let http: HttpInfo | null = null;
  // Removed when the daemon stops: a daemon run in process (a test, an embedder) twice
  // would otherwise leave its handlers behind, each holding its whole reconciler.
  const signalHandlers: [NodeJS.Signals, () => void][] = [];
  try {
    log.info(
      {
        pid: process.pid,
        stateDir: ctx.stateDir,
        manifests: ctx.manifestsDir,
        version: VERSION,
        previous: marker.previous,
      },
      marker.previous
        ? `archy daemon starting after a ${marker.previous.ended} of PID ${marker.previous.pid ?? "?"}`
        : "archy daemon starting",
    );

    // `--http`: bound before anything is recovered, so a port in use fails the start (exit 2) at once.
    if (opts.http) {
      const { startHttp } = await import("./http-start.js");
      const { dashboardAsset } = await import("@archy/dashboard");
      const started = await startHttp({
        stateDir: ctx.stateDir,
        address: opts.http,
        api: () => api,
        assets: dashboardAsset,
        log,
        stderr: logOnStderr ? null : process.stderr,
      });
      httpServer = started.server;
      http = started.info;
    }

    // The previous snapshot is read before anything can write a new one.
    const snapshots = snapshotStateStore(join(ctx.stateDir, "snapshot.json"));
    const previous = await snapshots.loadOrRecover(); // a newer version throws: exit 2, the file untouched
    if (previous.quarantined)
      log.error(
        {
          quarantined: previous.quarantined,
          recoveredFrom: previous.recoveredFrom ?? "the manifests alone",
        },
        `the snapshot was corrupt and is kept aside as ${previous.quarantined}`,
      );

    const { createDaemonMetrics } = await import("./metrics.js");
    const metrics = await createDaemonMetrics();
    const runtime = metrics.instrument(ctx.runtime());
    const podman = await podmanVersion(runtime); // PodmanUnavailableError -> exit 4
    const reconciler = new Reconciler({
      runtime,
      manifestsDir: ctx.manifestsDir,
      stateDir: ctx.stateDir,
      logger: log,
    });
    metrics.watch(reconciler);
    const { startNotifications } = await import("../notify/daemon.js");
    const notifications = await startNotifications(ctx, reconciler, log, metrics.notified);
    const { DiskWatch, describeLow } = await import("./disk.js");
    const storage = await runtime.storageRoot().catch(() => null);
    const disk = new DiskWatch({
      paths: [
        { what: "state folder", path: ctx.stateDir },
        ...(storage ? [{ what: "podman storage", path: storage }] : []),
      ],
      clock: systemClock,
      onChange: (low) => {
        reconciler.refusePulls(low.length > 0 ? low.map(describeLow).join("; ") : null);
        notifications?.disk(low.map((d) => ({ path: d.path, summary: describeLow(d) })));
        if (low.length === 0) log.info({}, "disk: room again; pulls go ahead");
        for (const d of low)
          log.warn(
            { path: d.path, free: d.freeBytes },
            `disk: ${describeLow(d)}; pulls are refused`,
          );
      },
    });
    await disk.check(); // before the first pass: it may pull
    disk.start();
    metrics.watchDisk(() => disk.spaces());
    metrics.watchUsage(() => runtime.stats());

    let recovery: (RecoveryReport & { at: string; after: string }) | null = null;
    if (marker.previous) {
      if (previous.loaded) {
        void notify?.status(`recovering after a ${marker.previous.ended} of the last run`);
        const report = await reconciler.recover(previous.loaded.data);
        recovery = { ...report, at: new Date().toISOString(), after: marker.previous.ended };
        notifications?.recovered(
          `archy recovered after a ${marker.previous.ended}: ${report.recovered.length} started, ${report.alreadyRunning.length} already running, ${report.skipped.length} skipped, ${report.failed.length} failed${report.failed.length ? ` (${report.failed.map((f) => f.name).join(", ")})` : ""}`,
        );
        for (const name of report.recovered)
          log.info({ container: name, result: "recovered" }, `recovery: ${name} recovered`);
        for (const name of report.alreadyRunning)
          log.info(
            { container: name, result: "already running" },
            `recovery: ${name} already running`,
          );
        for (const s of report.skipped)
          log.info(
            { container: s.name, result: "skipped", reason: s.reason },
            `recovery: ${s.name} skipped (${s.reason})`,
          );
        for (const f of report.failed)
          log.warn(
            { container: f.name, result: "failed", error: f.error },
            `recovery: ${f.name} failed: ${f.error}`,
          );
      } else {
        log.warn(
          {},
          "the previous run did not end cleanly, but there is no snapshot to recover from: starting from the manifests",
        );
      }
    }

    // Snapshots: after every observed change (coalesced), never before the first
    // observation; a state identical to the one last written is not written again.
    let snapshotTimer: ReturnType<typeof setTimeout> | null = null;
    let saving: Promise<void> = Promise.resolve();
    let lastWritten: string | null = null;
    const saveSnapshot = async () => {
      if (!reconciler.hasObserved()) return;
      try {
        const state = await reconciler.snapshotState();
        const text = JSON.stringify(state);
        if (text === lastWritten) return;
        await snapshots.save(state);
        lastWritten = text;
      } catch (error) {
        // The last good snapshot stays as it was (a durable write fails whole); tried again in 30 s.
        metrics.snapshotFailed();
        log.error({ err: String(error) }, "could not write the snapshot; trying again in 30 s");
        setTimeout(() => scheduleSnapshot(), 30_000).unref();
      }
    };
    const scheduleSnapshot = () => {
      if (snapshotTimer) return;
      snapshotTimer = setTimeout(() => {
        snapshotTimer = null;
        saving = saving.then(saveSnapshot);
      }, 500); // after the burst of events a change brings, not in the middle of its work
    };
    reconciler.subscribe((e) => {
      if (e.type === "phase" || e.type === "desired") scheduleSnapshot();
    });

    const ac = new AbortController();
    void notify?.status("first pass");
    // READY=1 after the first pass, STATUS= after the next ones, in the order of the passes.
    let announcing: Promise<void> = Promise.resolve();
    let ready = false;
    const announce = (n: Notifier, report: ReconcileReport) => {
      announcing = announcing.then(async () => {
        if (ac.signal.aborted) return; // after STOPPING=1, neither READY=1 nor a new status
        const apps = await reconciler.status().catch(() => []);
        const line = appsStatusLine(apps, report);
        if (ready) return n.status(line);
        ready = true;
        return n.ready(line);
      });
    };

    const startedAt = new Date().toISOString();
    let lastPass: ReconcileReport | null = null;
    const loop = new ReconcileLoop({
      reconciler,
      intervalMs: opts.intervalMs,
      signal: ac.signal,
      logger: log,
      events: (signal, since) => {
        metrics.streamOpened();
        return runtime.events({ signal, since });
      },
      onPass: (report) => {
        lastPass = report;
        metrics.passed(report);
        if (report.observed) scheduleSnapshot();
        if (notify) announce(notify, report);
      },
      // Only what changes the running set: a health check's exec is not a change.
      onEvent: (e) => {
        if (RUNNING_SET_EVENTS.has(e.status)) scheduleSnapshot();
      },
    });

    const deps = {
      reconciler,
      trigger: (reason: string) => loop.trigger(reason),
      log,
      logs: createLogSource(runtime, () => reconciler.getApps()),
      metrics: () => metrics.render(),
      info: () => ({
        pid: process.pid,
        version: VERSION,
        podman,
        startedAt,
        stateDir: ctx.stateDir,
        manifestsDir: ctx.manifestsDir,
        previousRun: marker.previous,
        recovery,
        lastPass,
        passes: loop.passes,
        http,
        // Whether systemd runs this daemon (INVOCATION_ID) and as which unit: `archy doctor`
        // tells a daemon started by hand from the service's.
        systemd: service,
      }),
    };
    api = createApiHandler(deps, DEFAULT_API_LIMITS);
    server = createApiServer(deps, DEFAULT_API_LIMITS, api);
    await unlink(ctx.socketPath).catch(() => undefined); // a socket left by a dead daemon: we hold the marker
    const oldUmask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server!.once("error", reject);
        server!.listen({ path: ctx.socketPath, backlog: DEFAULT_API_LIMITS.backlog }, () =>
          resolve(),
        );
      });
    } finally {
      process.umask(oldUmask);
    }
    await chmod(ctx.socketPath, 0o600);

    let signalled: string | null = null;
    const onSignal = (sig: string) => {
      if (signalled) return;
      signalled = sig;
      log.info(
        { signal: sig },
        `${sig}: finishing the pass in flight, then exiting (containers keep running)`,
      );
      void notify?.stopping("stopping: finishing the pass in flight (containers keep running)");
      ac.abort();
    };
    for (const sig of ["SIGTERM", "SIGINT"] as const) {
      const handler = () => onSignal(sig);
      process.on(sig, handler);
      signalHandlers.push([sig, handler]);
    }

    // The daemon's update checks: the first one interval after the start (a restart asks no registry).
    const checking = opts.updateCheckMs
      ? (async (every: number) => {
          while (!ac.signal.aborted) {
            await sleep(systemClock, every, ac.signal);
            if (ac.signal.aborted) return;
            await reconciler
              .checkForUpdates((ref) => remoteDigest(ref))
              .catch((error: unknown) =>
                log.warn({ err: String(error) }, "the update check failed; the next one follows"),
              );
          }
        })(opts.updateCheckMs)
      : null;
    await loop.run();
    await checking;
    disk.stop();
    await notifications?.close(); // what is not delivered stays in the outbox for the next daemon
    api.close(); // the event and log streams of both listeners end
    httpServer?.close();
    httpServer?.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server.closeAllConnections?.();
    if (snapshotTimer) clearTimeout(snapshotTimer);
    await saving;
    await saveSnapshot();
    await announcing;
    await notify?.flush();
    log.info({}, "archy daemon stopped");
    return EXIT.ok;
  } finally {
    try {
      notify?.stopWatchdog(); // its timer would keep the process alive
      server?.close();
      httpServer?.close();
      httpServer?.closeAllConnections();
      await unlink(ctx.socketPath).catch(() => undefined);
      await marker.release();
      await closeLog();
    } finally {
      // Last: a second SIGTERM while the marker is released must not kill the process half-way.
      for (const [sig, handler] of signalHandlers) process.off(sig, handler);
    }
  }
}
