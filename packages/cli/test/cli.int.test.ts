// End-to-end: the built `archy` binary as a user runs it, against real podman
// on an isolated store, with a temporary state folder and a copy of examples/.
// The tests are one scenario in order: each starts from where the last left
// the stack (the first builds the example image the others use).
import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  copyExamples,
  createPodmanStore,
  podmanAvailability,
  type PodmanStore,
  tempDir,
  waitFor,
} from "@archy/test-utils";
import { archyHarness, bin, containerState } from "./harness.js";

const podman = podmanAvailability();

describe.skipIf(podman.skipReason !== null)(`archy end to end ${podman.skipReason ?? ""}`, () => {
  let store: PodmanStore;
  let work: { path: string; remove: () => Promise<void> };
  let env: Record<string, string>;
  const ports: Record<string, number> = {};

  const h = archyHarness(() => env);
  const { archy, startDaemon, stopDaemon } = h;
  const json = async <T>(args: string[]) => {
    const r = await archy([...args, "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  const state = (name: string) => containerState(store, name);

  beforeAll(async () => {
    store = await createPodmanStore({ buildImage: false });
    work = await tempDir("archy-e2e-");
    Object.assign(ports, await copyExamples(work.path));
    env = {
      ...(process.env as Record<string, string>),
      ...store.archyEnv,
      ARCHY_STATE_DIR: join(work.path, "state"),
      ARCHY_MANIFESTS: join(work.path, "examples/apps"),
      NO_COLOR: "1",
    };
  }, 300_000);
  afterAll(async () => {
    await stopDaemon();
    await store?.cleanup();
    await work?.remove();
  });

  it("archy up on the examples converges; a second up changes nothing; plan on a converged stack plans nothing", async () => {
    const up = await archy(["up"]);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/web\s+create\s+container missing\s+ok/);
    expect(await fetch(`http://127.0.0.1:${ports.web}/index.html`).then((r) => r.text())).toContain(
      "Hello from archy",
    );
    expect(await fetch(`http://127.0.0.1:${ports.greeter}/index.html`).then((r) => r.text())).toBe(
      "<p>Hello, owner!</p>\n",
    );
    const again = await archy(["up", "--json"]);
    expect(again.exitCode).toBe(0);
    const report = JSON.parse(again.stdout) as { actions: unknown[]; converged: string[] };
    expect(report.actions).toEqual([]);
    expect(report.converged).toEqual(["web", "clock", "greeter"]);
    const plan = await archy(["plan"]);
    expect(plan.exitCode).toBe(0);
    expect(plan.stdout.trim()).toBe("nothing to do");
  });

  it("ps --json and status --json have the documented fields; secrets are never shown", async () => {
    const ps = await json<{
      apps: Record<string, unknown>[];
      orphans: unknown[];
      manifestErrors: unknown[];
    }>(["ps"]);
    expect(ps.apps.map((a) => a.id)).toEqual(["web", "clock", "greeter"]);
    for (const a of ps.apps) {
      expect(Object.keys(a).sort()).toEqual(
        [
          "container",
          "dependsOn",
          "desired",
          "health",
          "id",
          "image",
          "lastError",
          "lastErrorCode",
          "name",
          "nextRetryAt",
          "phase",
          "restarts",
          "since",
          "stopReason",
          "update",
          "uptimeSeconds",
          "version",
        ].sort(),
      );
      expect(a).toMatchObject({
        desired: "running",
        phase: "running",
        health: "healthy",
        restarts: 0,
        stopReason: null,
      });
      expect(a.uptimeSeconds).toEqual(expect.any(Number));
    }
    const status = await json<{ daemon: unknown; apps: unknown[] }>(["status"]);
    expect(status.daemon).toBeNull();
    expect(status.apps).toHaveLength(3);
    const one = await json<{ app: { id: string; container: { name: string; state: string } } }>([
      "status",
      "greeter",
    ]);
    expect(one.app).toMatchObject({
      id: "greeter",
      container: { name: "archy-greeter", state: "running" },
    });
    const human = await archy(["status", "greeter"]);
    expect(human.stdout).toMatch(/phase\s+running/);
    for (const r of [
      await archy(["ps"]),
      await archy(["status", "greeter", "--json"]),
      await archy(["plan", "--json"]),
    ])
      expect(r.stdout).not.toContain("not-a-real-token");
    expect((await archy(["status", "nope"])).exitCode).toBe(2);
  });

  it("logs -n prints the last lines; doctor reports podman's version and a healthy state folder", async () => {
    await store.podman([
      "exec",
      "archy-web",
      "sh",
      "-c",
      "for i in 1 2 3 4 5 6 7; do echo line$i > /proc/1/fd/1; done",
    ]);
    const logs = await archy(["logs", "web", "-n", "5"]);
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout.trim().split("\n")).toEqual(["line3", "line4", "line5", "line6", "line7"]);
    const doctor = await json<{ checks: { name: string; status: string; detail: string }[] }>([
      "doctor",
    ]);
    expect(doctor.checks.find((c) => c.name === "podman")).toMatchObject({
      status: "ok",
      detail: expect.stringContaining(`podman ${podman.version}`),
    });
    expect(doctor.checks.find((c) => c.name === "state folder")).toMatchObject({
      status: "ok",
      detail: expect.stringContaining("mode 0700"),
    });
  });

  it("with the daemon: stop --no-wait answers in under a second and the stream shows stopping before stopped; a killed container is back within 2 s", async () => {
    await startDaemon();
    const events = spawn(process.execPath, [bin, "events"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: Record<string, unknown>[] = [];
    let buf = "";
    events.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
        buf = buf.slice(i + 1);
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    const stop = await archy(["stop", "clock", "--no-wait"]);
    const took = Date.now() - t0;
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout.trim()).toBe("clock: stopping");
    expect(took).toBeLessThan(1_000);
    const phases = () =>
      lines.filter((e) => e.type === "phase" && e.app === "clock").map((e) => e.phase);
    await waitFor(() => phases().includes("stopped"), { timeoutMs: 15_000, what: "clock stopped" });
    expect(phases().indexOf("stopping")).toBeLessThan(phases().indexOf("stopped"));
    expect(await state("archy-clock")).toBe("exited");

    const killedAt = Date.now();
    await store.podman(["kill", "archy-greeter"]);
    await waitFor(
      async () =>
        (await state("archy-greeter")) === "running" &&
        (await state("archy-greeter")) === "running",
      { timeoutMs: 2_000, intervalMs: 50, what: "greeter running again" },
    );
    expect(Date.now() - killedAt).toBeLessThan(2_000);
    events.kill();
    const ps = await json<{ apps: { id: string; phase: string; restarts: number }[] }>(["ps"]);
    expect(ps.apps.find((a) => a.id === "greeter")?.restarts).toBe(1);
    expect(ps.apps.find((a) => a.id === "clock")?.phase).toBe("stopped");
  });

  it("a second daemon on the same state folder exits 3 naming the first one's PID", async () => {
    const second = await archy(["daemon"]);
    expect(second.exitCode).toBe(3);
    expect(second.stderr).toContain(`PID ${h.daemon!.pid}`);
  });

  it("kill -9 of the daemon, a simulated reboot, a new daemon: recovery names each container; desired running runs; owner-stopped stays stopped", async () => {
    // The snapshot of the last changes is written (coalesced, a moment after them).
    await waitFor(
      async () => {
        const snap = JSON.parse((await archy(["snapshot", "show", "--json"])).stdout) as {
          apps: { id: string; desired: string }[];
          containers: { name: string; state: string }[];
        };
        // Running in the snapshot, not only present: a snapshot taken while greeter was being
        // restarted after the kill above lists it exited, and recovery rightly leaves it to a pass.
        const running = snap.containers.filter((c) => c.state === "running").map((c) => c.name);
        return (
          snap.apps.find((a) => a.id === "clock")?.desired === "stopped" &&
          running.includes("archy-web") &&
          running.includes("archy-greeter")
        );
      },
      { timeoutMs: 5_000, what: "the snapshot of the last changes" },
    );
    const first = h.daemon!;
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    h.forgetDaemon();
    await store.podman(["stop", "--all", "--time", "2"]);
    expect([await state("archy-web"), await state("archy-greeter")]).toEqual(["exited", "exited"]);
    await startDaemon();
    const status = await json<{
      daemon: {
        recovery: {
          after: string;
          recovered: string[];
          alreadyRunning: string[];
          skipped: unknown[];
          failed: unknown[];
        };
      };
    }>(["status"]);
    expect(status.daemon.recovery).toMatchObject({
      after: "crash",
      recovered: ["archy-greeter", "archy-web"],
      failed: [],
    });
    const human = await archy(["status"]);
    expect(human.stdout).toMatch(/recovery after a crash/);
    expect(human.stdout).toMatch(/archy-web: recovered/);
    await waitFor(
      async () =>
        (await state("archy-web")) === "running" && (await state("archy-greeter")) === "running",
      { timeoutMs: 10_000, what: "apps running" },
    );
    expect(await state("archy-clock")).toBe("exited");
    const log = await readFile(join(env.ARCHY_STATE_DIR!, "log", "archy.log"), "utf8");
    expect(log).toContain('"result":"recovered"');
    expect(await stopDaemon()).toBe(0);
    expect(await state("archy-web")).toBe("running"); // SIGTERM never stops containers
    expect(await readdir(env.ARCHY_STATE_DIR!)).not.toContain("archy.pid");
  });

  it("ARCHY_PODMAN=/nonexistent archy ps exits 4; an invalid manifest makes up exit 2 with file:line:column and the valid apps still converge", async () => {
    const missing = await archy(["ps"], { ARCHY_PODMAN: "/nonexistent" });
    expect(missing.exitCode).toBe(4);
    expect(missing.stderr).toMatch(/podman is unavailable/);
    const bad = join(env.ARCHY_MANIFESTS!, "broken.yaml");
    await writeFile(
      bad,
      "app:\n  id: broken\n  name: Broken\n  version: '1'\n  container:\n    image: localhost/x:1\n    helthcheck: { tcp: { port: 1 } }\n",
    );
    await store.podman(["rm", "-f", "-t", "0", "archy-greeter"]);
    const up = await archy(["up"]);
    expect(up.exitCode).toBe(2);
    expect(up.stderr).toContain(
      `${bad}:7:5: app.container.helthcheck: unknown key "helthcheck" (did you mean "healthcheck"?)`,
    );
    expect(up.stdout).toMatch(/greeter\s+create/);
    expect(await state("archy-greeter")).toBe("running");
    await rm(bad);
  });

  it("a snapshot of a newer archy: the daemon refuses to start (exit 2) and leaves it untouched; a corrupt one is kept aside and the backup used", async () => {
    const newer = join(work.path, "state-newer");
    await mkdir(newer, { mode: 0o700 });
    const text = JSON.stringify({ version: 99, savedAt: 1, checksum: "sha256:x", data: {} });
    await writeFile(join(newer, "snapshot.json"), text);
    const refused = await archy(["daemon"], { ARCHY_STATE_DIR: newer });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/version 99.*newer archy/);
    expect(await readFile(join(newer, "snapshot.json"), "utf8")).toBe(text);
    expect(await readdir(newer)).not.toContain("archy.pid");

    const saved = join(env.ARCHY_STATE_DIR!, "snapshot.json");
    await archy(["snapshot", "save"]);
    await archy(["snapshot", "save"]); // the first one becomes snapshot.json.bak
    await writeFile(saved, '{"version": 1, "savedAt": 1, "checks');
    await startDaemon();
    const names = await readdir(env.ARCHY_STATE_DIR!);
    expect(names.some((n) => n.startsWith("snapshot.json.corrupt-"))).toBe(true);
    const log = await readFile(join(env.ARCHY_STATE_DIR!, "log", "archy.log"), "utf8");
    expect(log).toMatch(/the snapshot was corrupt and is kept aside as .*snapshot\.json\.corrupt-/);
    expect(log).toContain('"recoveredFrom":"backup"');
    expect(await stopDaemon()).toBe(0);
    expect(JSON.parse(await readFile(saved, "utf8"))).toMatchObject({ version: 1 }); // a fresh one on shutdown
  });

  it("snapshot save, then resurrect into an empty state and manifests folder: the same apps run; a second resurrect changes nothing", async () => {
    await archy(["start", "clock"]);
    await store.podman([
      "run",
      "-d",
      "--name",
      "not-an-app",
      "--label",
      `${Object.keys(store.labels)[0]}=${store.runId}`,
      "localhost/archy-example-web:1.0",
      "sleep",
      "600",
    ]);
    const file = join(work.path, "saved-snapshot.json");
    const save = await archy(["snapshot", "save", file]);
    expect(save.exitCode, save.stderr).toBe(0);
    expect(save.stdout).toMatch(/saved 3 apps and 4 running containers/);
    const show = await archy(["snapshot", "show", file]);
    expect(show.stdout).toMatch(/not-an-app/);
    // Everything stopped, the apps' containers gone.
    await store.podman(["stop", "--all", "--time", "2"]);
    await store.podman(["rm", "archy-web", "archy-clock", "archy-greeter"]);
    const fresh = {
      ARCHY_STATE_DIR: join(work.path, "state2"),
      ARCHY_MANIFESTS: join(work.path, "examples/apps2"),
    };
    await mkdir(fresh.ARCHY_MANIFESTS);
    const first = await archy(["resurrect", file, "--json"], fresh);
    expect(first.exitCode, first.stderr).toBe(0);
    const r1 = JSON.parse(first.stdout) as {
      manifests: { restored: string[] };
      report: { actions: { app: string; kind: string; ok: boolean }[] };
      recovery: { recovered: string[] };
    };
    expect(r1.manifests.restored.sort()).toEqual(["clock", "greeter", "web"]);
    // web first (both others depend on it); clock and greeter in the order they finish.
    const actions = r1.report.actions.map((a) => [a.app, a.kind, a.ok]);
    expect(actions[0]).toEqual(["web", "create", true]);
    expect(actions.slice(1).sort()).toEqual([
      ["clock", "create", true],
      ["greeter", "create", true],
    ]);
    expect(r1.recovery.recovered).toEqual(["not-an-app"]);
    for (const name of ["archy-web", "archy-clock", "archy-greeter", "not-an-app"])
      expect(await state(name)).toBe("running");
    const second = await archy(["resurrect", file, "--json"], fresh);
    const r2 = JSON.parse(second.stdout) as {
      manifests: { restored: string[]; unchanged: string[] };
      report: { actions: unknown[] };
      recovery: { recovered: string[]; alreadyRunning: string[] };
    };
    expect(r2.manifests).toEqual({ restored: [], unchanged: ["web", "clock", "greeter"] });
    expect(r2.report.actions).toEqual([]);
    expect(r2.recovery).toMatchObject({ recovered: [], alreadyRunning: ["not-an-app"] });
  });

  it("install validates and converges a new app; remove --purge through the daemon takes its container, volume and manifest away", async () => {
    const file = join(work.path, "extra.yaml");
    await writeFile(
      file,
      `app:\n  id: extra\n  name: Extra\n  version: "1"\n  container:\n    image: localhost/archy-example-web:1.0\n    pull: never\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]\n    volumes: ["extra-data:/data"]\n`,
    );
    const bad = join(work.path, "bad.yaml");
    await writeFile(
      bad,
      "app:\n  id: bad\n  name: Bad\n  version: '1'\n  container: { image: localhost/x:1, pull: sometimes }\n",
    );
    const refused = await archy(["install", bad]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(
      `${bad}:5:44: app.container.pull: expected missing, always or never`,
    );
    expect(await readdir(env.ARCHY_MANIFESTS!)).not.toContain("bad.yaml");

    const installed = await archy(["install", file]);
    expect(installed.exitCode, installed.stderr).toBe(0);
    expect(installed.stdout.trim().split("\n")).toEqual(["extra: installing", "extra: running"]);
    expect(await readFile(join(env.ARCHY_MANIFESTS!, "extra.yaml"), "utf8")).toBe(
      await readFile(file, "utf8"),
    );
    expect(await state("archy-extra")).toBe("running");
    expect(
      (await store.podman(["volume", "exists", "extra-data"], { reject: false })).exitCode,
    ).toBe(0);

    await startDaemon();
    const removed = await archy(["remove", "extra", "--purge"]);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout.trim()).toBe("extra: removing");
    expect(await state("archy-extra")).toBe("");
    expect(
      (await store.podman(["volume", "exists", "extra-data"], { reject: false })).exitCode,
    ).toBe(1);
    expect(await readdir(env.ARCHY_MANIFESTS!)).not.toContain("extra.yaml");
    const ps = await json<{ apps: { id: string }[] }>(["ps"]);
    expect(ps.apps.map((a) => a.id)).not.toContain("extra");
    expect(await stopDaemon()).toBe(0);
  });
});
