// End-to-end: `archy daemon --http` through the built binary, against real
// podman on an isolated store; `archy dashboard --json` for the address and
// token, then the page, the API, the log stream and rotation over HTTP as a
// browser would use them (fetch, cookies by hand).
import { chmod, mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPodmanStore,
  freePort,
  podmanAvailability,
  tempDir,
  TEST_IMAGE,
  waitFor,
  type PodmanStore,
} from "@archy/test-utils";
import { archyHarness } from "./harness.js";

const podman = podmanAvailability();
const SECRET = "s3cret-dashboard-value";
const manifest = `app:
  id: talker
  name: Talker
  version: "1"
  container:
    image: ${TEST_IMAGE}
    pull: never
    env: { API_TOKEN: ${SECRET} }
    command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; i=$((i+1)); do echo \\"line $i token=$API_TOKEN\\"; sleep 1; done & wait"]
    stop_timeout: 2s
`;

describe.skipIf(podman.skipReason !== null)(
  `archy dashboard over HTTP ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let work: { path: string; remove: () => Promise<void> };
    let env: Record<string, string>;
    let port: number;
    let base: string;
    let cookie: string;
    const h = archyHarness(() => env);
    const { archy, startDaemon, stopDaemon } = h;

    const dashboard = async (args: string[] = []) => {
      const r = await archy(["dashboard", "--json", ...args]);
      expect(r.exitCode, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { url: string | null; tokenFile: string; rotated: boolean };
    };
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { headers: { cookie, ...headers }, redirect: "manual" });
    /** The session cookie `GET /?token=` hands out for `url`. */
    const signIn = async (url: string) => {
      const r = await fetch(url, { redirect: "manual" });
      expect(r.status).toBe(303);
      expect(r.headers.get("location")).toBe("/");
      const set = r.headers.get("set-cookie")!;
      expect(set).toMatch(/^archy_session=[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict; Path=\/$/);
      return set.split(";")[0]!;
    };

    beforeAll(async () => {
      store = await createPodmanStore();
      work = await tempDir("archy-dashboard-e2e-");
      await mkdir(join(work.path, "apps"));
      await writeFile(join(work.path, "apps", "talker.yaml"), manifest);
      env = {
        ...(process.env as Record<string, string>),
        ...store.archyEnv,
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: join(work.path, "apps"),
        NO_COLOR: "1",
      };
      port = await freePort();
      base = `http://127.0.0.1:${port}`;
    }, 300_000);
    afterAll(async () => {
      await stopDaemon();
      await store?.cleanup();
      await work?.remove();
    });

    it("before a daemon: a bad --http is exit 2, archy dashboard exit 1 saying how to start one", async () => {
      const bad = await archy(["daemon", "--http", "127.0.0.1:99999"]);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toContain("invalid --http 127.0.0.1:99999: the port is 0 to 65535");
      const none = await archy(["dashboard"]);
      expect(none.exitCode).toBe(1);
      expect(none.stderr).toContain("no archy daemon is running: start one with --http");
    });

    it("archy daemon --http serves; archy dashboard --json gives the address with the token (file 0600)", async () => {
      await startDaemon(["--http", `127.0.0.1:${port}`]);
      const d = await dashboard();
      expect(d.rotated).toBe(false);
      expect(d.url).toMatch(
        new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[A-Za-z0-9_-]{43}$`),
      );
      expect((await stat(d.tokenFile)).mode & 0o777).toBe(0o600);
      // A token others can read is a door left open: doctor says so.
      await chmod(d.tokenFile, 0o644);
      const doctor = await archy(["doctor", "--json"]);
      expect(doctor.exitCode).toBe(1);
      expect(
        (JSON.parse(doctor.stdout) as { checks: { name: string; status: string }[] }).checks,
      ).toContainEqual(expect.objectContaining({ name: "dashboard.token", status: "fail" }));
      await chmod(d.tokenFile, 0o600);
      const status = JSON.parse((await archy(["status", "--json"])).stdout) as {
        daemon: { http: unknown };
      };
      expect(status.daemon.http).toEqual({
        url: `${base}/`,
        address: `127.0.0.1:${port}`,
        loopback: true,
      });
      expect((await fetch(`${base}/v1/apps`)).status).toBe(401);
      cookie = await signIn(d.url!);
    });

    it("the page and its assets, with the security headers; the API without secrets", async () => {
      const page = await get("/");
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(page.headers.get("content-security-policy")).toMatch(
        /^default-src 'none'; script-src 'self';/,
      );
      expect(page.headers.get("cache-control")).toBe("no-store");
      const html = await page.text();
      for (const [, src] of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
        const asset = await get(src!);
        expect(asset.status, src).toBe(200);
        expect(asset.headers.get("etag")).toBeTruthy();
      }
      await waitFor(
        async () => {
          const r = await get("/v1/apps/talker");
          return ((await r.json()) as { app: { phase: string } }).app.phase === "running";
        },
        { timeoutMs: 60_000, what: "talker running" },
      );
      for (const path of ["/v1/apps", "/v1/apps/talker", "/v1/daemon", "/v1/plan"]) {
        const r = await get(path);
        expect(r.status, path).toBe(200);
        expect(await r.text(), path).not.toContain(SECRET);
      }
      expect((await get("/v1/snapshot")).status).toBe(404);
    });

    it("the log stream: the last lines then end, secrets as ***; followed, a new line arrives", async () => {
      await waitFor(
        async () => (await (await get("/v1/apps/talker/logs?tail=2")).text()).includes("line 2"),
        { timeoutMs: 30_000, what: "two log lines" },
      );
      const tail = await (await get("/v1/apps/talker/logs?tail=2")).text();
      expect(tail).not.toContain(SECRET);
      expect(tail.match(/^event: line$/gm)).toHaveLength(2);
      expect(tail).toMatch(/data: \{"line":"line \d+ token=\*\*\*","stream":"stdout"\}/);
      expect(tail).toMatch(/event: end\ndata: \{\}\n\n$/);

      const followed = await get("/v1/apps/talker/logs?tail=0&follow=true", {});
      expect(followed.headers.get("content-type")).toBe("text/event-stream");
      let text = "";
      const decoder = new TextDecoder();
      for await (const chunk of followed.body! as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk);
        if (/event: line/.test(text)) break; // the body is cancelled: podman logs ends
      }
      expect(text).toMatch(/data: \{"line":"line \d+ token=\*\*\*","stream":"stdout"\}/);
    });

    it("a restart needs the page's Origin (403 without), then answers 202", async () => {
      const without = await fetch(`${base}/v1/apps/talker/restart`, {
        method: "POST",
        headers: { cookie },
      });
      expect(without.status).toBe(403);
      const foreign = await fetch(`${base}/v1/apps/talker/restart`, {
        method: "POST",
        headers: { cookie, origin: "http://evil.example" },
      });
      expect(foreign.status).toBe(403);
      const same = await fetch(`${base}/v1/apps/talker/restart`, {
        method: "POST",
        headers: { cookie, origin: base },
      });
      expect(same.status).toBe(202);
      expect(((await same.json()) as { app: { phase: string } }).app.phase).toBe("restarting");
    });

    it("archy dashboard --rotate-token: the old session gets 401 at once, the new address signs in", async () => {
      const old = cookie;
      const d = await dashboard(["--rotate-token"]);
      expect(d.rotated).toBe(true);
      expect((await get("/v1/apps", { cookie: old })).status).toBe(401);
      cookie = await signIn(d.url!);
      expect((await get("/v1/apps")).status).toBe(200);
    });

    it("SIGTERM: the daemon stops with exit 0 and the listener is gone", async () => {
      expect(await stopDaemon()).toBe(0);
      await expect(fetch(`${base}/`)).rejects.toThrow();
    });
  },
);
