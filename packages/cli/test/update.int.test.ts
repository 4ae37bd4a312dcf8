// archy update against a real registry (Debian's docker-registry on
// loopback), on podman 4.3 and 5: a good image goes live after the gate; one
// that never turns healthy is rolled back, the old version serving again,
// and blocked; `--to` moves to another tag and the manifest follows; one that
// cannot be pulled changes nothing. Through the
// daemon's API, as an owner runs it.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPodmanStore,
  freePort,
  podmanAvailability,
  pushTestImage,
  startRegistry,
  tempDir,
  waitFor,
  type PodmanStore,
  type TestRegistry,
} from "@archy/test-utils";
import { archyHarness } from "./harness.js";

const podman = podmanAvailability();

describe.skipIf(podman.skipReason !== null)(
  `archy update through the gate, podman ${podman.version ?? ""} ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let registry: TestRegistry;
    let work: { path: string; remove: () => Promise<void> };
    let env: Record<string, string>;
    let port: number;
    let ref: string;
    const h = archyHarness(() => env);
    const { archy } = h;

    /** Pushes an image whose page says `text` (none: no page, a 404) as `ref`. */
    const push = (text: string | null) =>
      pushTestImage(store, registry, ref, {
        name: text ?? "broken",
        extra: text === null ? "RUN rm /www/index.html\n" : `RUN echo ${text} > /www/index.html\n`,
      });
    const page = async () => {
      const r = await fetch(`http://127.0.0.1:${port}/`, {
        signal: AbortSignal.timeout(2_000),
      }).catch(() => null);
      return r?.ok ? (await r.text()).trim() : null;
    };
    const webContainer = async () =>
      (
        await store.podman([
          "ps",
          "-a",
          "--filter",
          "label=io.archy.app=web",
          "--format",
          "{{.Names}} {{.ID}}",
        ])
      ).stdout
        .split("\n")
        .filter(Boolean);

    beforeAll(async () => {
      store = await createPodmanStore({ buildImage: false });
      registry = await startRegistry();
      work = await tempDir("archy-update-");
      port = await freePort();
      ref = `${registry.host}/shop/web:1`;
      await mkdir(join(work.path, "apps"));
      env = {
        ...(process.env as Record<string, string>),
        ...store.archyEnv,
        ...registry.env,
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: join(work.path, "apps"),
        NO_COLOR: "1",
      };
      const step = (what: string) => process.stderr.write(`update test: ${what}\n`);
      step("pushing one");
      await push("one");
      step("pushed");
      await writeFile(
        join(work.path, "apps", "web.yaml"),
        `app:
  id: web
  name: Web
  version: "1"
  container:
    image: ${ref}
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    ports: ["127.0.0.1:${port}:8080"]
    stop_timeout: 1s
    healthcheck: { http: { port: 8080, path: / }, interval: 1s, retries: 2, start_period: 1s }
  update: { gate: 3s, timeout: 1m }
`,
      );
      await h.startDaemon(["--interval", "5s"]);
      step("daemon up");
      await waitFor(async () => (await page()) === "one", {
        timeoutMs: 60_000,
        what: "web serving",
      }).catch(async (error: Error) => {
        const ps = await archy(["ps"]);
        const log = await readFile(join(work.path, "state/log/archy.log"), "utf8").catch(() => "");
        throw new Error(
          `${error.message}\n${ps.stdout}${ps.stderr}\n${log.split("\n").slice(-30).join("\n")}`,
        );
      });
    }, 300_000);
    afterAll(async () => {
      await h.stopDaemon();
      await registry?.stop();
      await store?.cleanup();
      await work?.remove();
    });

    it("a good image: live after the gate, one container, nothing newer afterwards", async () => {
      const digest = await push("two");
      const dry = await archy(["update", "web", "--dry-run"]);
      expect(dry.stdout).toMatch(/^web\s+\S+\s+stop-first\s+it publishes host port/m);
      const r = await archy(["update", "web"]);
      expect(r.exitCode, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toMatch(/^web: updating$/m);
      expect(r.stdout).toMatch(/^web: running$/m);
      expect(await page()).toBe("two");
      expect(await webContainer()).toEqual([expect.stringMatching(/^archy-web \w+$/)]);
      const check = await archy(["update", "check", "web", "--json"]);
      expect(JSON.parse(check.stdout).checks[0]).toMatchObject({
        status: "up-to-date",
        running: digest,
      });
    }, 180_000);

    it("an image that never turns healthy: rolled back, the old version serves, exit 1 with the reason; then blocked", async () => {
      const before = await webContainer();
      await push(null);
      const r = await archy(["update", "web"]);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toMatch(/rolled back: the new image failed its gate: .*healthy/);
      expect(await page()).toBe("two");
      expect(await webContainer()).toEqual(before); // the same container, running again
      const status = JSON.parse((await archy(["status", "web", "--json"])).stdout);
      expect(status.app).toMatchObject({ phase: "running", lastErrorCode: "EROLLEDBACK" });

      const again = await archy(["update", "web"]);
      expect(again.exitCode).toBe(1);
      expect(again.stdout).toMatch(/is blocked: it failed its gate/);
      expect(await webContainer()).toEqual(before);
      // A later pass does not recreate toward it either: the tag points at the old image.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      expect(await webContainer()).toEqual(before);
      expect(await page()).toBe("two");

      const unblock = await archy(["update", "unblock", "web"]);
      expect(unblock.stdout).toBe("web: 1 blocked image cleared");
    }, 180_000);

    it("a manifest edit through the same gate: a broken one is rolled back and left until the manifest changes; a good one goes live", async () => {
      const before = await webContainer();
      const manifest = join(work.path, "apps", "web.yaml");
      const good = await readFile(manifest, "utf8");
      await writeFile(
        manifest,
        good.replace(
          `command: ["httpd", "-f", "-p", "8080", "-h", "/www"]`,
          `command: ["sh", "-c", "sleep 1; exit 3"]`,
        ),
      );
      const up = await archy(["up"]);
      expect(up.exitCode).toBe(1);
      expect(up.stderr + up.stdout).toMatch(
        /rolled back: the edited manifest's container failed its gate/,
      );
      expect(await webContainer()).toEqual(before);
      expect(await page()).toBe("two");
      const again = await archy(["up"]);
      expect(again.stderr + again.stdout).toMatch(/the manifest's last edit was rolled back/);
      expect(await webContainer()).toEqual(before);

      await writeFile(manifest, good.replace(`-h", "/www"]`, `-h", "/www", "-v"]`));
      const fixed = await archy(["up"]);
      expect(fixed.exitCode, fixed.stderr).toBe(0);
      expect(await webContainer()).not.toEqual(before);
      expect(await page()).toBe("two");
    }, 180_000);

    it("--to :3: that tag goes live through the gate, and then the manifest names it; a reference that is none is exit 2", async () => {
      const manifest = join(work.path, "apps", "web.yaml");
      const text = await readFile(manifest, "utf8");
      const three = ref.replace(/:1$/, ":3");
      await pushTestImage(store, registry, three, {
        name: "three",
        extra: "RUN echo three > /www/index.html\n",
      });
      const bad = await archy(["update", "web", "--to", "-x"]);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toMatch(/--to "-x": expected an image reference/);
      const dry = await archy(["update", "web", "--to", ":3", "--dry-run"]);
      expect(dry.stdout).toContain(three);
      const r = await archy(["update", "web", "--to", ":3"]);
      expect(r.exitCode, r.stderr + r.stdout).toBe(0);
      expect(await page()).toBe("three");
      expect(await readFile(manifest, "utf8")).toBe(
        text.replace(`image: ${ref}`, `image: ${three}`),
      );
      const ps = JSON.parse((await archy(["status", "web", "--json"])).stdout);
      expect(ps.app).toMatchObject({ image: three, phase: "running" });
      expect(await webContainer()).toEqual([expect.stringMatching(/^archy-web \w+$/)]);
      const check = await archy(["update", "check", "web", "--json"]);
      expect(JSON.parse(check.stdout).checks[0]).toMatchObject({ status: "up-to-date" });
    }, 180_000);

    it("an image that cannot be pulled (the registry is gone): exit 1, nothing changes", async () => {
      const before = await webContainer();
      await registry.stop();
      const r = await archy(["update", "web"]);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toMatch(/web: running.*pull/);
      expect(await webContainer()).toEqual(before);
      expect(await page()).toBe("three");
    }, 180_000);
  },
);
