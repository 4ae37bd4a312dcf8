// GET /metrics on real podman, checked by Debian's prometheus package: promtool
// accepts the exposition, and a Prometheus server started here on loopback
// (a scrape config of its own, the bearer token from archy's token file)
// scrapes the daemon's --http listener and answers `archy_app_up` with one
// series per app.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPodmanStore,
  freePort,
  podmanAvailability,
  tempDir,
  waitFor,
  type PodmanStore,
} from "@archy/test-utils";
import { archyHarness } from "./harness.js";

const podman = podmanAvailability();

const manifest = (id: string, command: string, more = "") => `app:
  id: ${id}
  name: ${id}
  version: "1"
  container:
    image: localhost/archy-test-busybox:latest
    command: ${command}
    stop_timeout: 1s
${more}`;

/** GET over the daemon's unix socket. */
const overSocket = (socketPath: string, path: string) =>
  new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request({ socketPath, path }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }),
      );
    });
    req.on("error", reject);
    req.end();
  });

describe.skipIf(podman.skipReason !== null)(
  `archy's /metrics and Prometheus, podman ${podman.version ?? ""} ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let work: { path: string; remove: () => Promise<void> };
    let env: Record<string, string>;
    let httpPort: number;
    let prometheus: ChildProcess | null = null;
    const h = archyHarness(() => env);
    const socket = () => join(work.path, "state", "archy.sock");

    beforeAll(async () => {
      store = await createPodmanStore();
      work = await tempDir("archy-metrics-");
      const apps = join(work.path, "apps");
      await mkdir(apps);
      env = {
        ...(process.env as Record<string, string>),
        ...store.archyEnv,
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: apps,
        NO_COLOR: "1",
      };
      await writeFile(join(apps, "web.yaml"), manifest("web", '["sleep", "3600"]'));
      await writeFile(
        join(apps, "job.yaml"),
        manifest("job", '["sh", "-c", "sleep 1; exit 3"]', "  restart: { policy: no }\n"),
      );
      httpPort = await freePort();
      await h.startDaemon(["--http", `127.0.0.1:${httpPort}`]);
      await waitFor(
        async () =>
          JSON.parse((await h.archy(["status", "job", "--json"])).stdout).app.phase === "exited",
        { timeoutMs: 30_000, what: "job exited" },
      );
    }, 120_000);
    afterAll(async () => {
      prometheus?.kill("SIGKILL");
      await h.stopDaemon();
      await store?.cleanup();
      await work?.remove();
    });

    it("the socket serves the text format; promtool check metrics finds no problem", async () => {
      const r = await overSocket(socket(), "/metrics");
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(r.body).toMatch(/^archy_app_up\{app="web"\} 1$/m);
      expect(r.body).toMatch(/^archy_app_up\{app="job"\} 0$/m);
      expect(r.body).toMatch(/^archy_app_phase\{app="job",phase="exited"\} 1$/m);
      expect(r.body).toMatch(/^archy_app_last_exit_code\{app="job"\} 3$/m);
      // podman stats: the running app's memory and CPU; the exited one has none.
      expect(r.body).toMatch(/^archy_app_memory_bytes\{app="web"\} [1-9]\d*$/m);
      expect(r.body).toMatch(/^archy_app_cpu_seconds\{app="web"\} \d/m);
      expect(r.body).not.toMatch(/^archy_app_memory_bytes\{app="job"\}/m);
      expect(r.body).toMatch(/^archy_pass_duration_seconds_count [1-9]\d*$/m);
      expect(r.body).toMatch(
        /^archy_podman_call_duration_seconds_count\{method="listContainers"\} [1-9]/m,
      );
      const check = await execa("promtool", ["check", "metrics"], { input: r.body, reject: false });
      expect(check.exitCode, check.stdout + check.stderr).toBe(0);
      expect(check.stdout + check.stderr).toBe("");
    });

    it("over --http it needs the token, as the API does", async () => {
      const url = `http://127.0.0.1:${httpPort}/metrics`;
      expect((await fetch(url, { signal: AbortSignal.timeout(5_000) })).status).toBe(401);
      const token = (await readFile(join(work.path, "state", "dashboard.token"), "utf8")).trim();
      const ok = await fetch(url, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(5_000),
      });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/^archy_app_up\{app="web"\} 1$/m);
    });

    it("a Prometheus server scrapes the daemon and answers archy_app_up with one series per app", async () => {
      const promPort = await freePort();
      const dir = join(work.path, "prometheus");
      await mkdir(join(dir, "data"), { recursive: true });
      const config = join(dir, "prometheus.yml");
      await writeFile(
        config,
        `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: archy
    scrape_interval: 1s
    authorization: { credentials_file: ${join(work.path, "state", "dashboard.token")} }
    static_configs: [{ targets: ["127.0.0.1:${httpPort}"] }]
`,
      );
      let log = "";
      prometheus = spawn(
        "prometheus",
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      prometheus.stderr!.on("data", (d: Buffer) => (log += d.toString()));
      prometheus.stdout!.resume();
      const query = async () => {
        const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=archy_app_up`, {
          signal: AbortSignal.timeout(2_000),
        }).catch(() => null);
        if (!r?.ok) return [];
        const body = (await r.json()) as {
          data: { result: { metric: { app: string }; value: [number, string] }[] };
        };
        return body.data.result;
      };
      const series = await waitFor(
        async () => {
          const result = await query();
          return result.length === 2 ? result : undefined;
        },
        { timeoutMs: 60_000, what: "archy_app_up in Prometheus" },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${log.split("\n").slice(-15).join("\n")}`);
      });
      expect(Object.fromEntries(series.map((s) => [s.metric.app, s.value[1]]))).toEqual({
        web: "1",
        job: "0",
      });
    }, 120_000);
  },
);
