// `archy update check` against a real registry (Debian's docker-registry on
// loopback, insecure by registries.conf as an owner would set it), on podman
// 4.3 and 5: what runs is the digest podman recorded when archy pulled it;
// a push of a new image under the same tag is an update; a registry that
// refuses the credentials, does not know the reference or is gone is that
// app's error (exit 1); nothing on the host changes.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPodmanStore,
  podmanAvailability,
  pushTestImage,
  startRegistry,
  tempDir,
  waitFor,
  type PodmanStore,
  type TestRegistry,
} from "@archy/test-utils";
import { execa } from "execa";
import { archyHarness, bin, containerState } from "./harness.js";

const podman = podmanAvailability();

describe.skipIf(podman.skipReason !== null)(
  `archy update check against a real registry, podman ${podman.version ?? ""} ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let open: TestRegistry;
    let locked: TestRegistry;
    let work: { path: string; remove: () => Promise<void> };
    let env: Record<string, string>;
    const h = archyHarness(() => env);
    const { archy } = h;
    /** Pushes an image whose page says `text` as `ref`; returns the digest pushed. */
    const push = (r: TestRegistry, ref: string, text: string) =>
      pushTestImage(store, r, ref, { name: text, extra: `RUN echo ${text} > /www/index.html\n` });
    const manifest = (id: string, image: string) =>
      writeFile(
        join(work.path, "apps", `${id}.yaml`),
        `app:\n  id: ${id}\n  name: ${id}\n  version: "1"\n  container:\n    image: ${image}\n    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]\n    stop_timeout: 1s\n`,
      );
    const check = async (extra: Record<string, string> = {}, app?: string) => {
      const r = await archy(["update", "check", ...(app ? [app] : []), "--json"], extra);
      return {
        exitCode: r.exitCode,
        stderr: r.stderr,
        ...(JSON.parse(r.stdout || "{}") as { checks: Record<string, unknown>[] }),
      };
    };
    const ids = async () =>
      (await store.podman(["ps", "-a", "--format", "{{.Names}} {{.ID}} {{.ImageID}}"])).stdout;

    beforeAll(async () => {
      store = await createPodmanStore({ buildImage: false });
      open = await startRegistry();
      locked = await startRegistry({ auth: { user: "owner", password: "s3cret pass" } });
      work = await tempDir("archy-update-check-");
      const { mkdir } = await import("node:fs/promises");
      await mkdir(join(work.path, "apps"));
      env = {
        ...(process.env as Record<string, string>),
        ...store.archyEnv,
        ...open.env,
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: join(work.path, "apps"),
        NO_COLOR: "1",
      };
    }, 120_000);
    afterAll(async () => {
      await open?.stop();
      await locked?.stop();
      await store?.cleanup();
      await work?.remove();
    });

    it("up pulls from the registry; check finds nothing newer; a new push under the tag is an update; nothing on the host changes", async () => {
      const ref = `${open.host}/shop/web:1`;
      const first = await push(open, ref, "one");
      await manifest("web", ref);
      const up = await archy(["up"]);
      expect(up.exitCode, up.stderr).toBe(0);

      const same = await check();
      expect(same.exitCode, same.stderr).toBe(0);
      expect(same.checks).toEqual([
        { app: "web", image: ref, status: "up-to-date", running: first, latest: first },
      ]);

      const before = await ids();
      const second = await push(open, ref, "two");
      expect(second).not.toBe(first);
      const newer = await check();
      expect(newer.exitCode).toBe(0);
      expect(newer.checks[0]).toMatchObject({
        status: "update-available",
        running: first,
        latest: second,
      });
      const table = await archy(["update", "check"]);
      expect(table.stdout).toMatch(/^web\s+\S+\s+update available\s+sha256:/m);
      expect(await ids()).toBe(before);
    }, 180_000);

    it("a registry with basic auth: the credentials of podman's auth file; wrong ones are that app's error, exit 1", async () => {
      const authFile = join(work.path, "auth.json");
      const ref = `${locked.host}/private/api:1`;
      const digest = await push(locked, ref, "private");
      const login = (password: string) =>
        writeFile(
          authFile,
          JSON.stringify({
            auths: { [locked.host]: { auth: Buffer.from(`owner:${password}`).toString("base64") } },
          }),
        );
      await login("s3cret pass");
      await manifest("api", ref);
      // podman pulls with the same auth file and registries.conf archy reads.
      const lockedEnv = { ...locked.env, REGISTRY_AUTH_FILE: authFile };
      const up = await archy(["up"], lockedEnv);
      expect(up.exitCode, up.stderr).toBe(0);
      const ok = await check(lockedEnv, "api");
      expect(ok.checks).toEqual([
        { app: "api", image: ref, status: "up-to-date", running: digest, latest: digest },
      ]);

      await login("wrong");
      const refused = await check(lockedEnv, "api");
      expect(refused.exitCode).toBe(1);
      expect(refused.checks[0]).toMatchObject({
        status: "error",
        problem: "unauthorized",
        running: digest,
      });
      expect(refused.checks[0]!.error).toMatch(/refused the credentials of owner/);
      await writeFile(authFile, "{}");
      const anonymous = await check(lockedEnv, "api");
      expect(anonymous.checks[0]!.error).toMatch(/wants credentials; podman login has stored none/);
    }, 180_000);

    it("the daemon's checks (--update-check-interval): a notify app's newer image shows in archy ps and archy events; nothing is applied", async () => {
      const ref = `${open.host}/shop/notes:1`;
      await push(open, ref, "notes-one");
      await writeFile(
        join(work.path, "apps", "notes.yaml"),
        `app:\n  id: notes\n  name: notes\n  version: "1"\n  container:\n    image: ${ref}\n    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]\n    stop_timeout: 1s\n  update: { policy: notify }\n`,
      );
      await h.startDaemon(["--update-check-interval", "1s"]);
      try {
        await waitFor(async () => (await containerState(store, "archy-notes")) === "running", {
          timeoutMs: 60_000,
          what: "notes running",
        });
        const events = execa(process.execPath, [bin, "events"], { env, reject: false });
        const before = await ids();
        const latest = await push(open, ref, "notes-two");
        const shown = await waitFor(
          async () => {
            const apps = JSON.parse((await archy(["ps", "--json"])).stdout).apps as {
              id: string;
              update: { state: string; latest: string } | null;
            }[];
            const notes = apps.find((a) => a.id === "notes");
            return notes?.update?.state === "available" && notes.update;
          },
          { timeoutMs: 30_000, what: "the update shown by archy ps" },
        );
        expect(shown.latest).toBe(latest);
        expect((await archy(["ps"])).stdout).toMatch(/^notes\s.*available \(sha256:/m);
        events.kill("SIGINT");
        const streamed = (await events).stdout
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { type: string; app?: string; latest?: string });
        expect(streamed).toContainEqual(
          expect.objectContaining({ type: "update", app: "notes", latest }),
        );
        expect(await ids()).toBe(before); // notify: nothing applied
      } finally {
        await h.stopDaemon();
      }
    }, 180_000);

    it("a reference the registry does not know, and a registry that is gone: each app's own error", async () => {
      await manifest("ghost", `${open.host}/shop/ghost:9`);
      const r = await check(open.env);
      expect(r.exitCode).toBe(1);
      const byApp = Object.fromEntries(r.checks.map((c) => [c.app, c]));
      expect(byApp.ghost).toMatchObject({ status: "error", problem: "not-found" });
      expect(byApp.web).toMatchObject({ status: "update-available" });
      await open.stop();
      const gone = await check(open.env, "web");
      expect(gone.checks[0]).toMatchObject({ status: "error", problem: "unreachable" });
      expect(gone.checks[0]!.error).toMatch(/cannot reach 127\.0\.0\.1:\d+/);
    }, 120_000);
  },
);
