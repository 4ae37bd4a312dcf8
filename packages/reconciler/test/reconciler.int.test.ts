import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PodmanRuntime } from "@archy/runtime-podman";
import {
  createPodmanStore,
  freePort,
  podmanAvailability,
  tempDir,
  waitFor,
  type PodmanStore,
} from "@archy/test-utils";
import { Reconciler } from "../src/index.js";

const podman = podmanAvailability();

describe.skipIf(podman.skipReason !== null)(
  `Reconciler against real podman ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let dirs: { path: string; remove: () => Promise<void> };
    let manifests: string;
    let stateDir: string;
    let calls: string[][];
    let runtime: PodmanRuntime;
    let webContext: string;

    beforeAll(async () => {
      store = await createPodmanStore();
      webContext = await store.imageContext("web-src", 'RUN echo "web v1" > /www/index.html\n');
    });
    afterAll(async () => {
      await store?.cleanup();
    });
    beforeEach(async () => {
      dirs = await tempDir("archy-rec-int-");
      manifests = join(dirs.path, "apps");
      stateDir = join(dirs.path, "state");
      await mkdir(manifests);
      calls = [];
      runtime = new PodmanRuntime({
        globalArgs: store.globalArgs,
        env: store.env,
        onCall: ({ argv }) => calls.push(argv),
      });
    });
    afterEach(async () => {
      await store.podman(["rm", "--all", "--force", "--time", "0"]);
      await dirs.remove();
    });

    const reconciler = () => new Reconciler({ runtime, manifestsDir: manifests, stateDir });
    const write = (id: string, body: string) =>
      writeFile(
        join(manifests, `${id}.yaml`),
        `app:\n  id: ${id}\n  name: ${id}\n  version: "1"\n${body}`,
      );
    /** busybox httpd under a shell that exits on SIGTERM, serving /www. */
    const httpd = (port: number) =>
      `["sh", "-c", "trap 'exit 0' TERM; httpd -f -p ${port} -h /www & wait"]`;
    const state = async (name: string) => (await runtime.getContainerStatus(name))?.state ?? null;
    const mutating = () =>
      calls.filter(
        (a) =>
          !["ps", "images", "container", "healthcheck", "image"].includes(a[0]!) ||
          (a[0] === "container" && a[1] !== "inspect"),
      );

    it("a three-app stack with a dependency and health checks converges from nothing; a second pass makes no mutating call", async () => {
      const [dbPort, webPort] = [await freePort(), await freePort()];
      await write(
        "db",
        `  container:\n    image: ${store.image}\n    command: ${httpd(5432)}\n    ports: ["127.0.0.1:${dbPort}:5432"]\n    stop_timeout: 2s\n    healthcheck: { tcp: { port: 5432 }, interval: 500ms, retries: 5 }\n`,
      );
      await write(
        "web",
        `  depends_on: [db]\n  container:\n    image: localhost/archy-int-web:1\n    build: { context: ${webContext} }\n    command: ${httpd(8080)}\n    ports: ["127.0.0.1:${webPort}:8080"]\n    stop_timeout: 2s\n    healthcheck: { http: { port: 8080, path: /index.html }, interval: 500ms, retries: 5 }\n`,
      );
      await write(
        "worker",
        `  depends_on: [web]\n  container:\n    image: ${store.image}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]\n    healthcheck: { cmd: ["true"], interval: 500ms }\n`,
      );
      const r = reconciler();
      const report = await r.reconcileAll();
      expect(report.failures).toEqual([]);
      expect(report.actions.map((a) => [a.app, a.kind, a.ok])).toEqual([
        ["db", "create", true],
        ["web", "create", true],
        ["worker", "create", true],
      ]);
      expect((await r.status()).map((s) => [s.id, s.phase, s.health])).toEqual([
        ["db", "running", "healthy"],
        ["web", "running", "healthy"],
        ["worker", "running", "healthy"],
      ]);
      expect(await fetch(`http://127.0.0.1:${webPort}/index.html`).then((res) => res.text())).toBe(
        "web v1\n",
      );
      // Dependency order in podman's own record: db was run (one `run -d` each) before web.
      const ran = (name: string) =>
        calls.findIndex((a) => a[0] === "run" && a.includes(`--name=${name}`));
      expect(ran("archy-db")).toBeGreaterThan(-1);
      expect(ran("archy-db")).toBeLessThan(ran("archy-web"));
      expect(calls.filter((a) => a[0] === "create" || a[0] === "start")).toEqual([]);

      calls = [];
      const second = await reconciler().reconcileAll();
      expect(second.actions).toEqual([]);
      expect(second.converged).toEqual(["db", "web", "worker"]);
      expect(mutating()).toEqual([]);
      expect(calls.filter((a) => a[0] === "ps" || a[0] === "images")).toHaveLength(2);
    });

    it("editing one manifest recreates only that app", async () => {
      await write(
        "one",
        `  container:\n    image: ${store.image}\n    command: ["sleep", "600"]\n    stop_timeout: 1s\n    env: { V: "1" }\n`,
      );
      await write(
        "two",
        `  container:\n    image: ${store.image}\n    command: ["sleep", "600"]\n    stop_timeout: 1s\n`,
      );
      const r = reconciler();
      await r.reconcileAll();
      const before = {
        one: (await runtime.getContainerStatus("archy-one"))!.id,
        two: (await runtime.getContainerStatus("archy-two"))!.id,
      };
      await write(
        "one",
        `  container:\n    image: ${store.image}\n    command: ["sleep", "600"]\n    stop_timeout: 1s\n    env: { V: "2" }\n`,
      );
      const report = await r.reconcileAll();
      expect(report.actions.map((a) => [a.app, a.kind])).toEqual([["one", "recreate"]]);
      expect((await runtime.getContainerStatus("archy-one"))!.id).not.toBe(before.one);
      expect((await runtime.getContainerStatus("archy-two"))!.id).toBe(before.two);
    });

    it("a killed container is back after the next pass; paused and created-never-started containers are recreated", async () => {
      for (const id of ["killed", "paused", "fresh"])
        await write(
          id,
          `  container:\n    image: ${store.image}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]\n`,
        );
      const r = reconciler();
      await r.reconcileAll();
      await store.podman(["kill", "archy-killed"]);
      await store.podman(["pause", "archy-paused"]);
      await store.podman(["rm", "-f", "archy-fresh"]);
      await store.podman([
        "create",
        "--name",
        "archy-fresh",
        "--label",
        "io.archy.app=fresh",
        store.image,
        "sleep",
        "600",
      ]);
      expect([
        await state("archy-killed"),
        await state("archy-paused"),
        await state("archy-fresh"),
      ]).toEqual(["exited", "paused", "created"]);
      const report = await r.reconcileAll();
      expect(report.actions.map((a) => [a.app, a.kind, a.ok]).sort()).toEqual([
        ["fresh", "recreate", true],
        ["killed", "start", true],
        ["paused", "recreate", true],
      ]);
      expect([
        await state("archy-killed"),
        await state("archy-paused"),
        await state("archy-fresh"),
      ]).toEqual(["running", "running", "running"]);
    });

    it("an app whose process exits at once fails, then backs off", async () => {
      await write(
        "crashy",
        `  container:\n    image: ${store.image}\n    command: ["sh", "-c", "echo failing >&2; exit 3"]\n  restart: { backoff: { initial: 5s, max: 1m } }\n`,
      );
      const r = reconciler();
      const first = await r.reconcileAll();
      expect(first.failures[0]?.error).toMatch(/archy-crashy exited with code 3/);
      await r.reconcileAll();
      const s = await r.appStatus("crashy");
      expect(s).toMatchObject({ phase: "backoff", stopReason: "backoff" });
      expect(Date.parse(s.nextRetryAt!) - Date.now()).toBeGreaterThan(3_000);
      const starts = calls.filter((a) => a[0] === "start").length;
      const third = await r.reconcileAll();
      expect(third.skipped).toContainEqual(
        expect.objectContaining({ app: "crashy", stopReason: "backoff" }),
      );
      expect(calls.filter((a) => a[0] === "start").length).toBe(starts);
      expect(await runtime.getContainerLogs("archy-crashy", { tail: 1 })).toEqual(["failing"]);
    });

    it("a pre-start hook that rewrites a config file causes a recreate", async () => {
      await writeFile(join(manifests, "version"), "v1\n");
      await writeFile(
        join(manifests, "render.sh"),
        '#!/bin/sh\nmkdir -p conf\necho "greeting=$GREETING $(cat version)" > conf/app.conf\n',
        { mode: 0o755 },
      );
      await write(
        "hooked",
        `  container:\n    image: ${store.image}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]\n    env: { GREETING: hi }\n    volumes: ["./conf:/conf:ro"]\n  hooks:\n    pre_start: [["./render.sh"]]\n  config_files: ["./conf/app.conf"]\n`,
      );
      const r = reconciler();
      expect((await r.reconcileAll()).failures).toEqual([]);
      expect((await store.podman(["exec", "archy-hooked", "cat", "/conf/app.conf"])).stdout).toBe(
        "greeting=hi v1",
      );
      expect((await r.reconcileAll()).actions).toEqual([]);
      await writeFile(join(manifests, "version"), "v2\n");
      const report = await r.reconcileAll();
      expect(report.actions.map((a) => [a.app, a.kind])).toEqual([["hooked", "recreate"]]);
      expect(await readFile(join(manifests, "conf", "app.conf"), "utf8")).toBe("greeting=hi v2\n");
    });

    it("a stopped app stays stopped across passes and a new Reconciler, until start", async () => {
      await write(
        "quiet",
        `  container:\n    image: ${store.image}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]\n`,
      );
      const r = reconciler();
      await r.reconcileAll();
      const handle = await r.stop("quiet");
      expect(handle.status.phase).toBe("stopping");
      expect(await handle.done).toMatchObject({ phase: "stopped", stopReason: "user" });
      await r.reconcileAll();
      const fresh = reconciler();
      expect((await fresh.reconcileAll()).actions).toEqual([]);
      expect(await state("archy-quiet")).toBe("exited");
      expect(await fresh.appStatus("quiet")).toMatchObject({
        phase: "stopped",
        desired: "stopped",
        stopReason: "user",
      });
      await (
        await fresh.start("quiet")
      ).done;
      await waitFor(async () => (await state("archy-quiet")) === "running", {
        what: "quiet running",
      });
    });
  },
);
