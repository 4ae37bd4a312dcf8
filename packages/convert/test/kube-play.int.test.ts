// The Kubernetes export on real podman: the example apps (a copy, with free
// host ports) exported, `podman kube play`ed in an isolated store, checked
// running, answering and healthy, then `podman kube down`ed.
//
// What the test adds to the store, and why (all documented in the README):
// - The example image gets curl: podman 4.3 runs the exported httpGet
//   liveness probe as `curl -f http://localhost:PORT/PATH` inside the
//   container, and the busybox image has no curl.
// - The dependency waits run in a small image of the host's dash and GNU
//   wget (`waitImage`), standing in for busybox: there is no registry here,
//   and Debian's static busybox cannot resolve names.
// - The pods join a DNS network of the store's own (kube play's default
//   network would take a bridge and subnet shared by every store).
// - podman 4.3 cannot resolve a secretKeyRef to a Secret it played (podman
//   issue 16269, fixed in 4.4): there the Secret documents become podman
//   secrets holding the Secret's `data` as JSON, the documented workaround.
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadManifests } from "@archy/reconciler";
import {
  copyExamples,
  createPodmanStore,
  podmanAvailability,
  type PodmanStore,
  tempDir,
  waitFor,
} from "@archy/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { exportKube, type KubeExport } from "../src/kube/export.js";
import { buildHostToolsImage, createDnsNetwork, podmanVersion } from "./kube-helpers.js";

const podman = podmanAvailability();
const WAITER = "localhost/archy-kube-waiter:test";
const APPS = ["web", "clock", "greeter"] as const;

describe.skipIf(podman.skipReason !== null)(
  `archy export kube on podman ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let work: { path: string; remove: () => Promise<void> };
    let network: string;
    let exported: KubeExport;
    let yamlFile: string;
    const ports: Record<string, number> = {};
    const [major, minor] = podmanVersion(podman.version);
    const secretsInYaml = major > 4 || (major === 4 && minor >= 4);

    const json = async <T>(args: string[]) => JSON.parse((await store.podman(args)).stdout) as T;
    const labelled = async (what: "ps" | "pod") =>
      json<unknown[]>(
        what === "ps"
          ? ["ps", "-a", "--filter", "label=io.archy.app", "--format", "json"]
          : ["pod", "ps", "--filter", "label=io.archy.app", "--format", "json"],
      );

    beforeAll(async () => {
      store = await createPodmanStore({ buildImage: false });
      work = await tempDir("archy-kube-");
      Object.assign(ports, await copyExamples(work.path));
      // What archy's pre_start hooks do; kube play runs no hooks.
      execFileSync("sh", [join(work.path, "examples/web/prepare-rootfs.sh")]);
      execFileSync("sh", [join(work.path, "examples/greeter/render.sh")], {
        env: { ...process.env, GREETING: "Hello", NAME: "owner" },
      });
      await store.podman([
        "build",
        "--quiet",
        "--tag",
        "localhost/archy-example-web:1.0",
        join(work.path, "examples/web"),
      ]);
      await buildHostToolsImage(store, "localhost/archy-example-web:1.0", {
        from: "localhost/archy-example-web:1.0",
        binaries: ["/usr/bin/curl"],
      });
      await buildHostToolsImage(store, WAITER, {
        binaries: ["/usr/bin/dash", "/usr/bin/wget"],
        applets: ["sleep", "date", "nc", "nslookup", "echo"],
        sh: "/usr/bin/dash",
      });
      network = await createDnsNetwork(store);

      const { apps, errors } = await loadManifests(join(work.path, "examples/apps"));
      expect(errors).toEqual([]);
      exported = exportKube(apps, { waitImage: WAITER, waitTimeoutSeconds: 60 });
      let objects = exported.objects;
      if (!secretsInYaml) {
        for (const secret of objects.filter((o) => o.kind === "Secret")) {
          const file = join(work.path, "secret.json");
          await writeFile(file, JSON.stringify(secret.data), { mode: 0o600 });
          await store.podman([
            "secret",
            "create",
            (secret.metadata as { name: string }).name,
            file,
          ]);
        }
        objects = objects.filter((o) => o.kind !== "Secret");
      }
      yamlFile = join(work.path, "apps.kube.yaml");
      await writeFile(
        yamlFile,
        secretsInYaml ? exported.text : objects.map((o) => `---\n${stringify(o)}`).join(""),
      );
    }, 300_000);

    afterAll(async () => {
      if (store) {
        await store.podman(["pod", "rm", "--all", "--force", "--time", "0"], { reject: false });
        await store.podman(["secret", "rm", "--all"], { reject: false });
        await store.cleanup();
      }
      await work?.remove();
    });

    it("podman kube play runs every pod, dependencies first", async () => {
      const play = await store.podman(["kube", "play", "--network", network, yamlFile], {
        timeoutMs: 180_000,
      });
      expect(play.exitCode).toBe(0);
      for (const app of APPS) {
        const [pod] = await json<{ State: string; Labels: Record<string, string> }[]>([
          "pod",
          "inspect",
          `archy-${app}`,
        ]).then((p) => (Array.isArray(p) ? p : [p]));
        expect(pod!.State, app).toBe("Running");
        expect(pod!.Labels["io.archy.app"]).toBe(app);
        const state = await store.podman([
          "inspect",
          `archy-${app}-${app}`,
          "--format",
          '{{.State.Status}} {{index .Config.Labels "io.archy.app"}}',
        ]);
        expect(state.stdout).toBe(`running ${app}`);
      }
      // Each dependent's init container ran to its end before the app started, after web did.
      const started = async (c: string) =>
        Number(
          (await store.podman(["inspect", c, "--format", "{{.State.StartedAt.UnixNano}}"])).stdout,
        );
      expect(await started("archy-clock-clock")).toBeGreaterThan(await started("archy-web-web"));
    });

    it("the apps answer on their host ports; the secret reached greeter's env by reference", async () => {
      expect(
        await fetch(`http://127.0.0.1:${ports.web}/index.html`).then((r) => r.text()),
      ).toContain("Hello from archy");
      expect(
        await fetch(`http://127.0.0.1:${ports.greeter}/index.html`).then((r) => r.text()),
      ).toBe("<p>Hello, owner!</p>\n");
      const clock = await waitFor(
        async () => {
          const r = await fetch(`http://127.0.0.1:${ports.clock}/`).catch(() => null);
          return r?.ok ? r.text() : false;
        },
        { timeoutMs: 10_000, what: "clock answering" },
      );
      expect(clock).toMatch(/\d\d:\d\d:\d\d/);
      const env = await store.podman([
        "exec",
        "archy-greeter-greeter",
        "sh",
        "-c",
        "echo $API_TOKEN $GREETING",
      ]);
      expect(env.stdout).toBe("not-a-real-token Hello");
      // The host port is bound to the manifest's address only.
      const port = await store.podman(["port", "archy-web-web"]);
      expect(port.stdout).toContain(`127.0.0.1:${ports.web}`);
    });

    it("the exported health checks turn healthy under podman healthcheck run", async () => {
      for (const c of ["archy-web-web", "archy-greeter-greeter"]) {
        const run = await store.podman(["healthcheck", "run", c], { reject: false });
        expect(run.exitCode, `${c}: ${run.stdout}${run.stderr}`).toBe(0);
        const status = await store.podman(["inspect", c, "--format", "{{.State.Health.Status}}"]);
        expect(status.stdout, c).toBe("healthy");
      }
      // What podman made of the probes (podman 4.3: a shell command inside the container).
      const test = async (c: string) =>
        (await store.podman(["inspect", c, "--format", "{{json .Config.Healthcheck.Test}}"]))
          .stdout;
      expect(await test("archy-web-web")).toContain("curl");
      expect(await test("archy-clock-clock")).toMatch(/nc.*-z.*8081/);
      expect(await test("archy-greeter-greeter")).toContain("wget");
    });

    it("podman kube down removes every pod and container", async () => {
      await store.podman(["kube", "down", yamlFile], { timeoutMs: 120_000 });
      expect(await labelled("pod")).toEqual([]);
      expect(await labelled("ps")).toEqual([]);
      expect((await store.podman(["ps", "-a", "--format", "{{.Names}}"])).stdout).toBe("");
    });

    it("a dependent played before its dependency waits in its init container until it answers", async () => {
      // podman 4.3 keeps a claim's volume after kube down and refuses to play
      // its PersistentVolumeClaim again ("volume already exists", fixed in 4.4):
      // the volume is reused through the pod's claimName alone.
      const pods = (app: string) =>
        exported.objects
          .filter(
            (o) =>
              (o.metadata as { labels: Record<string, string> }).labels["io.archy.app"] === app,
          )
          .filter((o) => o.kind === "Pod" || o.kind === "Service")
          .map((o) => `---\n${stringify(o)}`)
          .join("");
      const clockFile = join(work.path, "clock.kube.yaml");
      const webFile = join(work.path, "web.kube.yaml");
      await writeFile(clockFile, pods("clock"));
      await writeFile(webFile, pods("web"));
      const clockPlay = store.podman(["kube", "play", "--network", network, clockFile], {
        timeoutMs: 90_000,
        reject: false,
      });
      await waitFor(
        async () =>
          (await store.podman(["ps", "--format", "{{.Names}}"])).stdout.includes(
            "archy-clock-wait-for-web",
          ),
        { timeoutMs: 30_000, what: "clock's init container" },
      );
      await new Promise((r) => setTimeout(r, 3000));
      const waiting = await store.podman(["logs", "archy-clock-wait-for-web"]);
      expect(waiting.stdout).toContain(
        "archy: waiting for web at http://archy-web:8080/index.html",
      );
      expect((await store.podman(["ps", "--format", "{{.Names}}"])).stdout).not.toContain(
        "archy-clock-clock",
      );
      await store.podman(["kube", "play", "--network", network, webFile], { timeoutMs: 90_000 });
      const played = await clockPlay;
      expect(played.exitCode, played.stderr).toBe(0);
      expect(
        (await store.podman(["inspect", "archy-clock-clock", "--format", "{{.State.Status}}"]))
          .stdout,
      ).toBe("running");
      for (const f of [clockFile, webFile]) await store.podman(["kube", "down", f]);
      expect(await labelled("ps")).toEqual([]);
    });

    it("as a Deployment: podman 4.3 runs it as pod archy-<id>-pod-0", async () => {
      const { apps } = await loadManifests(join(work.path, "examples/apps"));
      const web = exportKube(
        apps.filter((a) => a.id === "web"),
        { kind: "Deployment" },
      );
      const file = join(work.path, "web-deployment.kube.yaml");
      await writeFile(file, web.text);
      await store.podman(["kube", "play", "--network", network, file], { timeoutMs: 90_000 });
      const pods = (await store.podman(["pod", "ps", "--format", "{{.Name}} {{.Status}}"])).stdout;
      expect(pods).toMatch(/^archy-web-pod(-0)? Running$/);
      expect(
        await fetch(`http://127.0.0.1:${ports.web}/index.html`).then((r) => r.text()),
      ).toContain("Hello from archy");
      await store.podman(["kube", "down", file]);
      expect(await labelled("pod")).toEqual([]);
      expect(await labelled("ps")).toEqual([]);
    });
  },
);
