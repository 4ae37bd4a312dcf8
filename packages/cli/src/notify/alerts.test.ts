// Problems that open and resolve, on virtual time.
import type { PhaseEvent, ReconcileReport, ReconcilerEvent } from "@archy/reconciler/api";
import { VirtualClock } from "@archy/runtime-podman/testing";
import { describe, expect, it } from "vitest";
import { Alerts, type Notice } from "./alerts.js";

const phase = (
  app: string,
  p: PhaseEvent["phase"],
  more: Partial<PhaseEvent> = {},
): ReconcilerEvent => ({
  type: "phase",
  app,
  phase: p,
  previous: "running",
  stopReason: null,
  at: "",
  ...more,
});
const setup = () => {
  const clock = new VirtualClock(Date.parse("2026-12-08T10:00:00Z"));
  const told: Notice[] = [];
  const alerts = new Alerts(clock, 60_000, (n) => told.push(n));
  const said = () => told.map((n) => `${n.key} ${n.state}`);
  return { clock, alerts, told, said };
};

describe("alerts", () => {
  it("a crash loop is one open and, once it runs a settle window, one resolved, however many restarts", async () => {
    const { clock, alerts, said } = setup();
    for (let i = 0; i < 20; i++) {
      alerts.onEvent(phase("web", "backoff"));
      await clock.advance(5_000);
      alerts.onEvent(phase("web", "running"));
      await clock.advance(2_000); // runs 2 s, then fails again
    }
    expect(said()).toEqual(["crash-loop:web open"]);
    await clock.advance(57_000); // running 59 s now
    expect(said()).toEqual(["crash-loop:web open"]);
    await clock.advance(1_000);
    expect(said()).toEqual(["crash-loop:web open", "crash-loop:web resolved"]);
  });

  it("unhealthy, failed and OOM of an app resolve when it runs; an owner's stop resolves too", async () => {
    const { clock, alerts, told, said } = setup();
    alerts.onEvent(phase("web", "unhealthy"));
    alerts.onEvent({ type: "oom", app: "web", at: "" });
    alerts.onEvent(phase("db", "failed", { error: "boom" }));
    alerts.onEvent(phase("web", "running"));
    alerts.onEvent(phase("db", "stopped", { stopReason: "user" }));
    await clock.advance(60_000);
    expect(said().sort()).toEqual([
      "failed:db open",
      "failed:db resolved",
      "oom:web open",
      "oom:web resolved",
      "unhealthy:web open",
      "unhealthy:web resolved",
    ]);
    expect(told.find((n) => n.key === "failed:db")!.summary).toBe("db failed: boom");
    expect(told[0]).toMatchObject({ app: "web", problem: "unhealthy", state: "open" });
    expect(new Set(told.map((n) => n.id)).size).toBe(told.length);
  });

  it("podman unreachable and an invalid manifest, from the passes; a rollback and an update are notes", async () => {
    const { clock, alerts, said, told } = setup();
    const report = (over: Partial<ReconcileReport>): ReconcileReport => ({
      startedAt: "",
      durationMs: 1,
      observed: true,
      actions: [],
      failures: [],
      skipped: [],
      converged: [],
      orphans: [],
      manifestErrors: [],
      ...over,
    });
    const bad = {
      file: "/m/web.yaml",
      line: 3,
      column: 7,
      path: "app.id",
      message: "expected an app id",
    };
    alerts.onPass(report({ observed: false, errorCode: "EPODMANUNAVAILABLE", error: "gone" }));
    alerts.onPass(report({ observed: false, errorCode: "EPODMANUNAVAILABLE", error: "gone" }));
    alerts.onPass(report({ manifestErrors: [bad] }));
    alerts.onPass(report({ manifestErrors: [bad] }));
    alerts.onEvent(phase("web", "running", { errorCode: "EROLLEDBACK", error: "rolled back: x" }));
    alerts.onEvent({
      type: "update",
      app: "web",
      state: "available",
      image: "i",
      latest: "sha256:1",
      at: "",
    });
    await clock.advance(60_000);
    expect(said()).toEqual([
      "podman-unreachable open",
      "manifest-invalid:/m/web.yaml open",
      "rolled-back:web info",
      "update-available:web info",
      "podman-unreachable resolved",
    ]);
    alerts.onPass(report({}));
    await clock.advance(60_000);
    expect(said().at(-1)).toBe("manifest-invalid:/m/web.yaml resolved");

    // One a previous daemon left open: the first pass that finds the file valid resolves it.
    const next = setup();
    const left = { ...told.find((n) => n.key === "manifest-invalid:/m/web.yaml")! };
    next.alerts.restore([left]);
    next.alerts.onPass(report({}));
    await next.clock.advance(60_000);
    expect(next.said()).toEqual(["manifest-invalid:/m/web.yaml resolved"]);
  });

  it("a low disk opens per filesystem and resolves once it has room for the settle window", async () => {
    const { clock, alerts, said } = setup();
    alerts.onDisk([{ path: "/store", summary: "low" }]);
    alerts.onDisk([{ path: "/store", summary: "low" }]);
    alerts.onDisk([]);
    await clock.advance(30_000);
    alerts.onDisk([{ path: "/store", summary: "low" }]); // back within the window: the same incident
    alerts.onDisk([]);
    await clock.advance(60_000);
    expect(said()).toEqual(["low-disk:/store open", "low-disk:/store resolved"]);
  });

  it("the same note again within the settle window is told once; after it, again", async () => {
    const { clock, alerts, said } = setup();
    const update = {
      type: "update",
      app: "web",
      state: "available",
      image: "i",
      latest: "sha256:1",
      at: "",
    } as const;
    alerts.onEvent(update);
    await clock.advance(30_000);
    alerts.onEvent(update);
    alerts.onEvent({ ...update, latest: "sha256:2" }); // other words: told
    await clock.advance(30_000);
    alerts.onEvent(update);
    expect(said()).toEqual([
      "update-available:web info",
      "update-available:web info",
      "update-available:web info",
    ]);
  });
});
