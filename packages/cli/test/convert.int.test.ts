// End-to-end bridges: a compose file -> `archy import compose` -> `archy up`
// (real podman) -> `archy export kube` -> `podman kube play` -> serving ->
// `podman kube down`; `archy export quadlet` on the same apps; bad input.
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPodmanStore,
  freePort,
  podmanAvailability,
  tempDir,
  waitFor,
  type PodmanStore,
} from "@archy/test-utils";
import { archyHarness, root } from "./harness.js";

const podman = podmanAvailability();

const compose = (image: string) => `# A two-service project as an owner would bring it.
name: shop
services:
  web:
    image: ${image}
    command: ["sh", "-c", "mkdir -p /www && echo \${GREETING:-hello} > /www/index.html && httpd -f -p 8080 -h /www"]
    ports:
      - "127.0.0.1:\${WEB_PORT}:8080"
    environment:
      - GREETING=\${GREETING:-hello}
      - DB_PASSWORD=\${DB_PASSWORD?set it in .env}
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/index.html"]
      interval: 10s
      timeout: 2s
      retries: 3
    restart: unless-stopped
    stop_grace_period: 5s
  worker:
    image: ${image}
    command: sleep 600
    depends_on:
      web:
        condition: service_healthy
    volumes:
      - data:/data
    restart: on-failure
    deploy:
      replicas: 2
volumes:
  data: {}
`;

describe.skipIf(podman.skipReason !== null)(
  `archy import compose / export kube / export quadlet ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let work: { path: string; remove: () => Promise<void> };
    let env: Record<string, string>;
    let webPort: number;
    const h = archyHarness(() => env);
    const { archy } = h;
    const composeFile = () => join(work.path, "shop", "compose.yaml");
    const manifests = () => join(work.path, "apps");

    beforeAll(async () => {
      store = await createPodmanStore();
      work = await tempDir("archy-convert-");
      webPort = await freePort();
      await mkdir(join(work.path, "shop"));
      await writeFile(composeFile(), compose(store.image));
      await writeFile(
        join(work.path, "shop", ".env"),
        `WEB_PORT=${webPort}\nDB_PASSWORD=s3cret-not-for-units\n`,
      );
      env = {
        ...(process.env as Record<string, string>),
        ...store.archyEnv,
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: manifests(),
        NO_COLOR: "1",
      };
    }, 300_000);
    afterAll(async () => {
      await store?.podman(["pod", "rm", "--all", "--force"], { reject: false });
      await store?.podman(["secret", "rm", "--all"], { reject: false });
      await store?.cleanup();
      await work?.remove();
    });

    it("imports the compose file: one manifest per service, warnings located, `plan` finds them valid; again: unchanged", async () => {
      const r = await archy(["import", "compose", composeFile(), "--json"]);
      expect(r.exitCode, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as {
        project: string;
        manifests: { app: string; service: string; path: string; status: string }[];
        warnings: { file: string; line: number; column: number; path: string }[];
      };
      expect(out.project).toBe("shop");
      expect(out.manifests.map((m) => [m.app, m.status])).toEqual([
        ["shop-web", "created"],
        ["shop-worker", "created"],
      ]);
      // deploy: is not archy's: a warning at its line, never dropped silently.
      expect(out.warnings).toEqual([
        {
          file: composeFile(),
          line: 28,
          column: 5,
          path: "services.worker.deploy",
          message: expect.stringMatching(/deploy is left out/),
        },
      ]);
      expect((await readdir(manifests())).sort()).toEqual(["shop-web.yaml", "shop-worker.yaml"]);
      const web = await readFile(join(manifests(), "shop-web.yaml"), "utf8");
      expect(web).toContain(`127.0.0.1:${webPort}:8080`);
      const plan = await archy(["plan", "--json"]);
      expect(plan.exitCode, plan.stderr).toBe(0);
      expect(JSON.parse(plan.stdout)).toMatchObject({ manifestErrors: [] });

      const again = await archy(["import", "compose", composeFile(), "--json"]);
      expect(again.exitCode, again.stderr).toBe(0);
      expect((JSON.parse(again.stdout) as typeof out).manifests.map((m) => m.status)).toEqual([
        "unchanged",
        "unchanged",
      ]);
    });

    it("a changed compose file is refused over different manifests (exit 2), replaced with --force", async () => {
      await writeFile(composeFile(), compose(store.image).replace("sleep 600", "sleep 700"));
      const refused = await archy(["import", "compose", composeFile()]);
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(
        /shop-worker\.yaml already exists with other content; --force/,
      );
      const forced = await archy(["import", "compose", composeFile(), "--force", "--json"]);
      expect(forced.exitCode, forced.stderr).toBe(0);
      expect(
        (JSON.parse(forced.stdout) as { manifests: { status: string }[] }).manifests.map(
          (m) => m.status,
        ),
      ).toEqual(["unchanged", "changed"]);
    });

    it("`archy up` converges the imported apps: web serves and turns healthy, the worker starts after it", async () => {
      const up = await archy(["up", "--json"]);
      expect(up.exitCode, up.stderr).toBe(0);
      expect(await fetch(`http://127.0.0.1:${webPort}/index.html`).then((r) => r.text())).toBe(
        "hello\n",
      );
      const ps = JSON.parse((await archy(["ps", "--json"])).stdout) as {
        apps: { id: string; phase: string; health: string }[];
      };
      expect(ps.apps.map((a) => [a.id, a.phase])).toEqual([
        ["shop-web", "running"],
        ["shop-worker", "running"],
      ]);
      expect(ps.apps[0]!.health).toBe("healthy");
      // The worker reaches web by its compose name, on the project's network archy created.
      const byName = await store.podman(
        ["exec", "archy-shop-worker", "sh", "-c", "nc -w 2 web 8080 </dev/null"],
        { reject: false },
      );
      expect(byName.exitCode, byName.stderr).toBe(0);
    });

    it("export quadlet: units written, secrets only in a 0600 env file; again: unchanged; --prune removes an app's units", async () => {
      const units = join(work.path, "units");
      const first = await archy(["export", "quadlet", "--all", "--out", units, "--json"]);
      expect(first.exitCode, first.stderr).toBe(0);
      const files = (JSON.parse(first.stdout) as { files: { path: string; status: string }[] })
        .files;
      expect(files.length).toBeGreaterThanOrEqual(2);
      expect(files.every((f) => f.status === "created")).toBe(true);
      for (const name of await readdir(units)) {
        const text = await readFile(join(units, name), "utf8");
        if (name.endsWith(".container")) expect(text).not.toContain("s3cret-not-for-units");
      }
      const envFile = join(units, "archy-shop-web.env");
      expect(await readFile(envFile, "utf8")).toContain("DB_PASSWORD=s3cret-not-for-units");
      expect((await stat(envFile)).mode & 0o777).toBe(0o600);
      const second = await archy(["export", "quadlet", "--all", "--out", units, "--json"]);
      expect(
        (JSON.parse(second.stdout) as { files: { status: string }[] }).files.every(
          (f) => f.status === "unchanged",
        ),
      ).toBe(true);

      // An app that no longer exists: its units go with --prune, and only with --all.
      await rm(join(manifests(), "shop-worker.yaml"));
      expect(
        (await archy(["export", "quadlet", "shop-web", "--out", units, "--prune"])).exitCode,
      ).toBe(2);
      const pruned = await archy(["export", "quadlet", "--all", "--out", units, "--prune"]);
      expect(pruned.exitCode, pruned.stderr).toBe(0);
      expect(pruned.stdout).toMatch(/removed\s+\S*archy-shop-worker\.container/);
      expect(await readdir(units)).not.toContain("archy-shop-worker.container");
      await archy(["import", "compose", composeFile(), "--force"]);
    });

    it("export kube -> archy remove -> podman kube play: the pods run, web serves on its port and has its secret; kube down removes everything", async () => {
      const yamlFile = join(work.path, "shop.kube.yaml");
      // No registry here: the init container that waits for web runs the store's busybox.
      // podman 4.3 cannot read a Secret it played (podman issue 16269): --no-secrets, and
      // the secret made apart as podman wants it, the Secret's data as JSON.
      const r = await archy([
        "export",
        "kube",
        "--all",
        "--out",
        yamlFile,
        "--no-secrets",
        "--wait-image",
        store.image,
      ]);
      expect(r.exitCode, r.stderr).toBe(0);
      const text = await readFile(yamlFile, "utf8");
      expect(text).not.toContain("s3cret-not-for-units");
      expect(text).not.toContain(Buffer.from("s3cret-not-for-units").toString("base64"));
      expect(text).toMatch(/secretKeyRef:\s+name: archy-shop-web\s+key: DB_PASSWORD/);
      const secret = join(work.path, "secret.json");
      await writeFile(
        secret,
        JSON.stringify({ DB_PASSWORD: Buffer.from("s3cret-not-for-units").toString("base64") }),
      );
      await store.podman(["secret", "create", "archy-shop-web", secret]);
      // The hand-over: archy's containers go (their volumes stay), the pods take their names and ports.
      for (const app of ["shop-worker", "shop-web"])
        expect((await archy(["remove", app])).exitCode).toBe(0);
      const play = await store.podman(["kube", "play", yamlFile], { reject: false });
      expect(play.exitCode, play.stderr).toBe(0);
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${webPort}/index.html`).catch(() => null))?.ok === true,
        { timeoutMs: 60_000, what: "the kube-played web on its port" },
      );
      const pods = await store.podman(["pod", "ps", "--format", "{{.Name}} {{.Status}}"]);
      expect(pods.stdout).toMatch(/archy-shop-web Running/);
      expect(pods.stdout).toMatch(/archy-shop-worker Running/);
      // The secret reached web's environment by reference.
      const envOf = await store.podman(["exec", "archy-shop-web-shop-web", "env"]);
      expect(envOf.stdout).toContain("DB_PASSWORD=s3cret-not-for-units");
      const down = await store.podman(["kube", "down", yamlFile], { reject: false });
      expect(down.exitCode, down.stderr).toBe(0);
      expect((await store.podman(["pod", "ps", "-q"])).stdout.trim()).toBe("");
    });

    it("the example apps export to kube and quadlet", async () => {
      const examples = { ...env, ARCHY_MANIFESTS: join(root, "examples/apps") };
      const kube = await archy(["export", "kube", "--all"], examples);
      expect(kube.exitCode, kube.stderr).toBe(0);
      expect(kube.stdout).toMatch(/kind: (Pod|Deployment)/);
      const units = join(work.path, "example-units");
      const quadlet = await archy(["export", "quadlet", "--all", "--out", units], examples);
      expect(quadlet.exitCode, quadlet.stderr).toBe(0);
      expect((await readdir(units)).filter((n) => n.endsWith(".container")).sort()).toEqual([
        "archy-clock.container",
        "archy-greeter.container",
        "archy-web.container",
      ]);
    });

    it("bad input: an invalid compose file, an unknown app, an unwritable --out: exit 2 with a clear message", async () => {
      const bad = join(work.path, "bad.yaml");
      await writeFile(bad, "services:\n  web:\n    image: [1, 2]\n");
      const invalid = await archy(["import", "compose", bad, "--out", join(work.path, "x")]);
      expect(invalid.exitCode).toBe(2);
      expect(invalid.stderr).toContain(`${bad}:3:`);

      const unknown = await archy(["export", "kube", "nope"]);
      expect(unknown.exitCode).toBe(2);
      expect(unknown.stderr).toMatch(/no app "nope"/);

      const file = join(work.path, "a-file");
      await writeFile(file, "");
      const unwritable = await archy(["export", "quadlet", "--all", "--out", join(file, "units")]);
      expect(unwritable.exitCode).toBe(2);
      expect(unwritable.stderr).toMatch(/cannot write into/);
    });
  },
);
