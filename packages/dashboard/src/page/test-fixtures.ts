// Payloads as the daemon sends them, for the page's unit tests.
import type {
  AppsPayload,
  AppView,
  DaemonInfo,
  ReconcileReport,
  Phase,
  ReconcilerEvent,
} from "./types.js";

export const AT = "2026-12-02T15:00:00.000Z";

export function appView(id: string, over: Partial<AppView> = {}): AppView {
  return {
    id,
    name: id[0]!.toUpperCase() + id.slice(1),
    version: "1.0.0",
    desired: "running",
    phase: "running",
    health: null,
    restarts: 0,
    uptimeSeconds: 60,
    image: `localhost/${id}:1.0`,
    stopReason: null,
    lastError: null,
    lastErrorCode: null,
    since: AT,
    nextRetryAt: null,
    dependsOn: [],
    container: {
      id: `c-${id}`,
      name: `archy-${id}`,
      state: "running",
      startedAt: AT,
      exitCode: null,
      imageId: "sha256:1",
    },
    ...over,
  };
}

export const payload = (apps: AppView[], over: Partial<AppsPayload> = {}): AppsPayload => ({
  apps,
  orphans: [],
  manifestErrors: [],
  ...over,
});

export function passReport(over: Partial<ReconcileReport> = {}): ReconcileReport {
  return {
    startedAt: AT,
    durationMs: 120,
    observed: true,
    actions: [],
    failures: [],
    skipped: [],
    converged: [],
    orphans: [],
    manifestErrors: [],
    ...over,
  };
}

export function daemonInfo(over: Partial<DaemonInfo> = {}): DaemonInfo {
  return {
    pid: 4242,
    version: "0.1.0",
    podman: "5.4.2",
    startedAt: AT,
    stateDir: "/var/lib/archy",
    manifestsDir: "/etc/archy/apps",
    previousRun: null,
    recovery: null,
    lastPass: passReport(),
    passes: 1,
    http: { url: "http://127.0.0.1:8780/", address: "127.0.0.1:8780", loopback: true },
    systemd: null,
    notices: [],
    ...over,
  };
}

export const phaseEvent = (
  app: string,
  phase: Phase,
  over: Partial<Extract<ReconcilerEvent, { type: "phase" }>> = {},
): ReconcilerEvent => ({
  type: "phase",
  app,
  phase,
  previous: "running",
  stopReason: null,
  at: AT,
  ...over,
});
