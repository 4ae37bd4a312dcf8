// Notifications end to end on real podman, with real HTTP receivers on
// loopback: `archy notify test` says what each target answered; a
// crash-looping app is one "open" and, once fixed, one "resolved" at the
// webhook however many restarts; a receiver that hangs delays nothing else
// (the API answers within 100 ms meanwhile); and a message a target refused
// is delivered by the next daemon once the target takes it, which also
// resolves the problem the last one left open.
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPodmanStore,
  podmanAvailability,
  tempDir,
  waitFor,
  type PodmanStore,
} from "@archy/test-utils";
import { archyHarness } from "./harness.js";

const podman = podmanAvailability();

interface Got {
  path: string;
  key: string;
  state: string;
  signature: string | undefined;
}

const loop = (command: string, id = "loop") => `app:
  id: ${id}
  name: ${id}
  version: "1"
  container:
    image: localhost/archy-test-busybox:latest
    command: ${command}
    stop_timeout: 1s
  restart: { backoff: { initial: 1s, max: 2s, reset: 1h } }
`;

/** GET over the daemon's socket, timed. */
const timedGet = (socketPath: string, path: string) =>
  new Promise<number>((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ socketPath, path }, (res) => {
      res.resume();
      res.on("end", () => resolve(performance.now() - t0));
    });
    req.on("error", reject);
    req.end();
  });

describe.skipIf(podman.skipReason !== null)(
  `notifications, podman ${podman.version ?? ""} ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let work: { path: string; remove: () => Promise<void> };
    let env: Record<string, string>;
    let receiver: Server;
    let base: string;
    /** Paths that answer 500 (until removed); /hang never answers. */
    const failing = new Set<string>();
    const got: Got[] = [];
    const h = archyHarness(() => env);
    const { archy } = h;
    const configFile = () => join(work.path, "archy.yaml");
    const writeConfig = (targets: string) =>
      writeFile(configFile(), `notify:\n  settle: 3s\n  timeout: 1s\n  targets:\n${targets}`);

    beforeAll(async () => {
      store = await createPodmanStore();
      work = await tempDir("archy-notify-");
      await mkdir(join(work.path, "apps"));
      receiver = createServer((req, res) => {
        let body = "";
        req.on("data", (d: Buffer) => (body += d.toString()));
        req.on("end", () => {
          if (req.url === "/hang") return;
          if (failing.has(req.url ?? "")) return void res.writeHead(500).end();
          const n = JSON.parse(body) as { key: string; state: string };
          got.push({
            path: req.url ?? "",
            key: n.key,
            state: n.state,
            signature: req.headers["x-archy-signature"] as string | undefined,
          });
          res.writeHead(204).end();
        });
      });
      receiver.listen(0, "127.0.0.1");
      await once(receiver, "listening");
      base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
      env = {
        ...(process.env as Record<string, string>),
        ...store.archyEnv,
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: join(work.path, "apps"),
        ARCHY_CONFIG: configFile(),
        NO_COLOR: "1",
      };
    }, 120_000);
    afterAll(async () => {
      await h.stopDaemon();
      receiver?.closeAllConnections();
      receiver?.close();
      await store?.cleanup();
      await work?.remove();
    });

    it("archy notify test: one message to each target, and what each answered; exit 1 when one refused", async () => {
      failing.add("/down");
      await writeConfig(
        `    - webhook: ${base}/hook\n      secret: s3cret\n    - webhook: ${base}/down\n      name: down\n`,
      );
      const r = await archy(["notify", "test"]);
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/^webhook 127\.0\.0\.1:\d+\s+webhook\s+yes\s+HTTP 204$/m);
      expect(r.stdout).toMatch(/^down\s+webhook\s+no\s+HTTP 500$/m);
      expect(got).toEqual([
        {
          path: "/hook",
          key: "test",
          state: "info",
          signature: expect.stringMatching(/^sha256=[0-9a-f]{64}$/),
        },
      ]);
      await writeFile(configFile(), "notify:\n  targets:\n    - webhook: ftp://nope\n");
      const bad = await archy(["notify", "test"]);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toContain(
        `${configFile()}:3:16: notify.targets[0].webhook: expected an http:// or https:// URL`,
      );
      got.length = 0;
      failing.clear();
    }, 60_000);

    it("a crash loop: one open, and once fixed one resolved; a hanging receiver delays nothing (the API within 100 ms)", async () => {
      await writeConfig(
        `    - webhook: ${base}/hook\n    - webhook: ${base}/hang\n      name: hang\n`,
      );
      await writeFile(
        join(work.path, "apps", "loop.yaml"),
        loop('["sh", "-c", "sleep 1.2; exit 1"]'),
      );
      await h.startDaemon(["--interval", "2s"]);
      const socket = join(work.path, "state", "archy.sock");
      const slowest: number[] = [];
      // Restarts go on for a while; the API is asked meanwhile (the hang target holds its worker).
      const until = Date.now() + 15_000;
      while (Date.now() < until) {
        slowest.push(await timedGet(socket, "/v1/apps"));
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(Math.max(...slowest)).toBeLessThan(100);
      const status = JSON.parse((await archy(["status", "loop", "--json"])).stdout).app;
      expect(status.restarts).toBeGreaterThanOrEqual(3);
      expect(got.filter((g) => g.key === "crash-loop:loop")).toEqual([
        { path: "/hook", key: "crash-loop:loop", state: "open", signature: undefined },
      ]);
      // Fixed: it runs, and stays up longer than the settle window.
      await writeFile(join(work.path, "apps", "loop.yaml"), loop('["sleep", "3600"]'));
      await waitFor(() => got.some((g) => g.key === "crash-loop:loop" && g.state === "resolved"), {
        timeoutMs: 30_000,
        what: "the resolution at the webhook",
      });
      await new Promise((r) => setTimeout(r, 3_000));
      expect(got.filter((g) => g.key === "crash-loop:loop").map((g) => g.state)).toEqual([
        "open",
        "resolved",
      ]);
      await h.stopDaemon();
    }, 120_000);

    it("a message the target refused is delivered by the next daemon once the target takes it", async () => {
      got.length = 0;
      failing.add("/later");
      await writeConfig(`    - webhook: ${base}/later\n      name: later\n`);
      // An app of its own: loop runs, and a broken edit of a running app is rolled back by the gate.
      await writeFile(
        join(work.path, "apps", "flap.yaml"),
        loop('["sh", "-c", "sleep 1.2; exit 1"]', "flap"),
      );
      await h.startDaemon(["--interval", "2s"]);
      // (until the daemon's first pass has read flap.yaml, flap is an unknown app: no JSON)
      const phase = async () =>
        (
          JSON.parse((await archy(["status", "flap", "--json"])).stdout || "{}") as {
            app?: { phase: string };
          }
        ).app?.phase;
      await waitFor(async () => (await phase()) === "backoff", {
        timeoutMs: 30_000,
        what: "flap in back-off",
      });
      await new Promise((r) => setTimeout(r, 1_000)); // at least one refused attempt
      expect(await h.stopDaemon()).toBe(0);
      failing.clear();
      await writeFile(join(work.path, "apps", "flap.yaml"), loop('["sleep", "3600"]', "flap"));
      await h.startDaemon(["--interval", "2s"]);
      // The open the last daemon could not deliver, then the resolution of the problem it left open.
      await waitFor(() => got.filter((g) => g.key === "crash-loop:flap").length === 2, {
        timeoutMs: 30_000,
        what: "the open and the resolved at the webhook",
      });
      expect(got.filter((g) => g.key === "crash-loop:flap").map((g) => [g.path, g.state])).toEqual([
        ["/later", "open"],
        ["/later", "resolved"],
      ]);
    }, 120_000);
  },
);
