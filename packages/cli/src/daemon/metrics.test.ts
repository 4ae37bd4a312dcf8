// The daemon's metrics on a fake reconciler source and a fake runtime: what a
// scrape says of the apps, and what the instrumented runtime counts.
import type { AppStatus, ReconcilerEvent } from "@archy/reconciler/api";
import { FakeRuntime } from "@archy/runtime-podman/testing";
import { describe, expect, it } from "vitest";
import { createDaemonMetrics, type MetricsSource } from "./metrics.js";

const NOW = Date.parse("2026-12-08T10:00:00Z");
const app = (id: string, over: Partial<AppStatus>): AppStatus => ({
  id,
  name: id,
  version: "1",
  image: `localhost/${id}:1`,
  dependsOn: [],
  desired: "running",
  phase: "running",
  health: null,
  restarts: 0,
  stopReason: null,
  lastError: null,
  lastErrorCode: null,
  since: new Date(NOW).toISOString(),
  nextRetryAt: null,
  container: null,
  ...over,
});

function source(apps: AppStatus[]): MetricsSource & { emit(e: ReconcilerEvent): void } {
  const listeners: ((e: ReconcilerEvent) => void)[] = [];
  return {
    status: async () => apps,
    subscribe: (l) => (listeners.push(l), () => undefined),
    emit: (e) => listeners.forEach((l) => l(e)),
  };
}

describe("the daemon's metrics", () => {
  it("each app: up, its phase, health, restarts, last exit code, back-off and OOM kills", async () => {
    const m = await createDaemonMetrics(() => NOW);
    const s = source([
      app("web", { health: "healthy", restarts: 2 }),
      app("db", { health: "unhealthy", phase: "unhealthy" }),
      app("job", {
        phase: "backoff",
        nextRetryAt: new Date(NOW + 4_500).toISOString(),
        container: {
          id: "c",
          name: "archy-job",
          state: "exited",
          startedAt: null,
          exitCode: 137,
          imageId: null,
        },
      }),
    ]);
    m.watch(s);
    s.emit({ type: "oom", app: "job", at: "" });
    s.emit({ type: "oom", app: "job", at: "" });
    const { contentType, body } = await m.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const lines = body.split("\n");
    for (const line of [
      'archy_app_up{app="web"} 1',
      'archy_app_up{app="db"} 0',
      'archy_app_up{app="job"} 0',
      'archy_app_phase{app="job",phase="backoff"} 1',
      'archy_app_phase{app="job",phase="running"} 0',
      'archy_app_healthy{app="web"} 1',
      'archy_app_healthy{app="db"} 0',
      'archy_app_restarts{app="web"} 2',
      'archy_app_last_exit_code{app="job"} 137',
      'archy_app_backoff_seconds{app="job"} 4.5',
      'archy_app_backoff_seconds{app="web"} 0',
      'archy_app_oom_kills_total{app="job"} 2',
    ])
      expect(lines).toContain(line);
    expect(lines.filter((l) => l.startsWith("archy_app_healthy{"))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith("archy_app_last_exit_code{"))).toHaveLength(1);
  });

  it("the runtime's calls by method, with their failures; streams pass untimed", async () => {
    const m = await createDaemonMetrics();
    const fake = new FakeRuntime({ images: ["localhost/web:1"] });
    const rt = m.instrument(fake);
    await rt.listContainers();
    await rt.listContainers();
    await expect(rt.startContainer("archy-none")).rejects.toThrow();
    const ac = new AbortController();
    rt.events({ signal: ac.signal });
    ac.abort();
    fake.dispose();
    const { body } = await m.render();
    expect(body).toMatch(
      /^archy_podman_call_duration_seconds_count\{method="listContainers"\} 2$/m,
    );
    expect(body).toMatch(
      /^archy_podman_call_duration_seconds_count\{method="startContainer"\} 1$/m,
    );
    expect(body).toMatch(/^archy_podman_call_errors_total\{method="startContainer"\} 1$/m);
    expect(body).not.toMatch(/method="events"/);
  });

  it("passes, their failures, stream reconnects, snapshot write failures, notifications and the disks", async () => {
    const m = await createDaemonMetrics();
    const report = { durationMs: 120, failures: [], error: undefined } as never;
    m.passed(report);
    m.passed({ durationMs: 80, failures: [{ app: "web", error: "x" }] } as never);
    m.streamOpened();
    m.streamOpened();
    m.streamOpened();
    m.snapshotFailed();
    m.notified("hook", true);
    m.notified("hook", false);
    m.watchDisk(() => [
      { what: "state folder", path: "/s", freeBytes: 5e9, thresholdBytes: 1e9 },
      { what: "podman storage", path: "/p", freeBytes: 5e8, thresholdBytes: 1e9 },
    ]);
    const { body } = await m.render();
    expect(body).toMatch(/^archy_pass_duration_seconds_count 2$/m);
    expect(body).toMatch(/^archy_pass_duration_seconds_sum 0\.2$/m);
    expect(body).toMatch(/^archy_pass_errors_total 1$/m);
    expect(body).toMatch(/^archy_event_stream_reconnects_total 2$/m);
    expect(body).toMatch(/^archy_snapshot_write_failures_total 1$/m);
    expect(body).toMatch(/^archy_notifications_total\{target="hook",result="delivered"\} 1$/m);
    expect(body).toMatch(/^archy_notifications_total\{target="hook",result="failed"\} 1$/m);
    expect(body).toMatch(/^archy_disk_free_bytes\{what="state folder",path="\/s"\} 5000000000$/m);
    expect(body).toMatch(/^archy_disk_low\{what="podman storage",path="\/p"\} 1$/m);
    expect(body).toMatch(/^archy_disk_low\{what="state folder",path="\/s"\} 0$/m);
  });

  it("the apps' CPU and memory from podman stats, one sample for the scrapes of a minute", async () => {
    let t = NOW;
    const m = await createDaemonMetrics(() => t);
    let samples = 0;
    m.watchUsage(async () => {
      samples++;
      return [
        { id: "a", name: "archy-web", cpuNanos: 2.5e9, memoryBytes: 8e6, memoryLimitBytes: 64e6 },
        { id: "b", name: "other", cpuNanos: 1e9, memoryBytes: 1, memoryLimitBytes: 2 },
      ];
    });
    const { body } = await m.render();
    expect(body).toMatch(/^archy_app_cpu_seconds\{app="web"\} 2\.5$/m);
    expect(body).toMatch(/^archy_app_memory_bytes\{app="web"\} 8000000$/m);
    expect(body).toMatch(/^archy_app_memory_limit_bytes\{app="web"\} 64000000$/m);
    expect(body).not.toMatch(/app="other"/);
    await m.render();
    expect(samples).toBe(1);
    t += 59_000;
    await m.render();
    expect(samples).toBe(1);
    t += 1_000;
    await m.render();
    expect(samples).toBe(2);
  });
});
