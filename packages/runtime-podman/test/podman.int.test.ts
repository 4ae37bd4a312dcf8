import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPodmanStore,
  freePort,
  podmanAvailability,
  waitFor,
  type PodmanStore,
} from "@archy/test-utils";
import {
  ContainerNotFoundError,
  InvalidArgumentError,
  PodmanCommandError,
  PodmanRuntime,
  type ContainerEvent,
  type ContainerSpec,
} from "../src/index.js";

const podman = podmanAvailability();

describe.skipIf(podman.skipReason !== null)(
  `PodmanRuntime against real podman ${podman.skipReason ?? ""}`,
  () => {
    let store: PodmanStore;
    let rt: PodmanRuntime;
    const image = "localhost/archy-rt-web:1";
    let port: number;

    beforeAll(async () => {
      store = await createPodmanStore();
      rt = new PodmanRuntime({ globalArgs: store.globalArgs, env: store.env, timeoutMs: 60_000 });
      port = await freePort();
    });
    afterAll(async () => {
      await store?.cleanup();
    });

    const labelled = (spec: ContainerSpec): ContainerSpec => ({
      ...spec,
      labels: { ...store.labels, ...spec.labels },
    });

    it("reports podman's version, and where its storage is", async () => {
      expect(await rt.version()).toBe(podman.version);
      expect(await rt.storageRoot()).toBe(store.globalArgs[1]);
    });

    it("builds an image from a Containerfile", async () => {
      const ctx = await store.imageContext("web", 'RUN echo "built" > /www/built.html\n');
      expect(await rt.imageExists(image)).toBe(false);
      expect(await rt.imageId(image)).toBeNull();
      await rt.buildImage({ context: ctx, tag: image, containerfile: join(ctx, "Containerfile") });
      expect(await rt.imageExists(image)).toBe(true);
      expect(await rt.imageId(image)).toMatch(/^[0-9a-f]{64}$/);
    });

    it("creates with ports, env, a volume, labels and a health check; starts; serves on the published port; health goes healthy then unhealthy", async () => {
      const id = await rt.createContainer(
        labelled({
          name: "rt-web",
          image,
          command: [
            "sh",
            "-c",
            'echo "greeting=$GREETING" > /www/env.html; echo ok > /www/health.html; echo started; exec httpd -f -p 8080 -h /www',
          ],
          env: { GREETING: "hi there" },
          ports: [{ hostIp: "127.0.0.1", hostPort: port, containerPort: 8080, protocol: "tcp" }],
          volumes: [{ source: "rt-web-data", target: "/data" }],
          labels: { "io.archy.app": "web" },
          stopTimeout: 1,
          stopSignal: "SIGKILL",
          healthcheck: {
            cmd: ["wget", "-qO-", "http://127.0.0.1:8080/health.html"],
            timeoutMs: 2_000,
            retries: 1,
          },
        }),
      );
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect((await rt.getContainerStatus("rt-web"))?.state).toBe("created");
      await rt.startContainer("rt-web");
      const body = await waitFor(
        async () =>
          await fetch(`http://127.0.0.1:${port}/env.html`)
            .then((r) => r.text())
            .catch(() => undefined),
        { what: "httpd" },
      );
      expect(body.trim()).toBe("greeting=hi there");
      expect(await fetch(`http://127.0.0.1:${port}/built.html`).then((r) => r.text())).toBe(
        "built\n",
      );

      const status = await rt.getContainerStatus("rt-web");
      expect(status).toMatchObject({
        name: "rt-web",
        state: "running",
        image,
        labels: { "io.archy.app": "web" },
        ports: [{ hostIp: "127.0.0.1", hostPort: port, containerPort: 8080, protocol: "tcp" }],
      });
      expect(await rt.containerAddress("rt-web")).toMatch(/^10\.90\.\d+\.\d+$/);
      expect(await rt.runHealthcheck("rt-web")).toBe("healthy");
      await store.podman(["exec", "rt-web", "rm", "/www/health.html"]);
      expect(await rt.runHealthcheck("rt-web")).toBe("unhealthy");
      const [listed] = await rt.listContainers({ labels: { "io.archy.app": "web" } });
      expect(listed).toMatchObject({ name: "rt-web", state: "running", health: "unhealthy" });
    });

    it("tails the logs", async () => {
      expect(await rt.getContainerLogs("rt-web", { tail: 1 })).toEqual(["started"]);
      const ac = new AbortController();
      const lines: string[] = [];
      for await (const line of rt.followContainerLogs("rt-web", { tail: 1, signal: ac.signal })) {
        lines.push(line);
        ac.abort();
      }
      expect(lines).toEqual(["started"]);
    });

    it("podman kill -> the died event with its exit code within 1 s", async () => {
      const ac = new AbortController();
      const events: ContainerEvent[] = [];
      const reading = (async () => {
        for await (const e of rt.events({ signal: ac.signal })) events.push(e);
      })();
      await new Promise((r) => setTimeout(r, 500)); // podman events is up
      const killedAt = Date.now();
      await store.podman(["kill", "rt-web"]);
      const died = await waitFor(
        () => events.find((e) => e.name === "rt-web" && e.status === "died"),
        { timeoutMs: 1_000, intervalMs: 10, what: "died event" },
      );
      expect(Date.now() - killedAt).toBeLessThan(1_000);
      expect(died).toMatchObject({ exitCode: 137, labels: { "io.archy.app": "web" } });
      ac.abort();
      await reading; // ends cleanly on abort
      expect(await rt.getContainerStatus("rt-web")).toMatchObject({
        state: "exited",
        exitCode: 137,
      });
    });

    it("a stream opened with since replays what happened from then on: a reopened stream misses nothing", async () => {
      await store.podman(["start", "rt-web"]);
      const before = Date.now();
      await store.podman(["kill", "rt-web"]);
      await store.podman(["start", "rt-web"]);
      const ac = new AbortController();
      const events: ContainerEvent[] = [];
      const reading = (async () => {
        for await (const e of rt.events({ signal: ac.signal, since: before })) events.push(e);
      })();
      // Both happened before the stream opened; only the replay can bring them.
      await waitFor(() => events.find((e) => e.name === "rt-web" && e.status === "start"), {
        timeoutMs: 5_000,
        intervalMs: 10,
        what: "the replayed start",
      });
      expect(events.filter((e) => e.name === "rt-web").map((e) => e.status)).toContain("died");
      ac.abort();
      await reading;
    });

    it("rename keeps a running container running under its new name; tag and rmi of an image in use", async () => {
      await rt.createContainer(
        labelled({ name: "rt-renamed", image: store.image, command: ["sleep", "300"] }),
      );
      await rt.startContainer("rt-renamed");
      const before = await rt.getContainerStatus("rt-renamed");
      await rt.renameContainer("rt-renamed", "rt-renamed.prev");
      expect(await rt.getContainerStatus("rt-renamed")).toBeNull();
      expect(await rt.getContainerStatus("rt-renamed.prev")).toMatchObject({
        id: before!.id,
        state: "running",
        startedAt: before!.startedAt,
        labels: before!.labels,
      });
      await expect(rt.renameContainer("rt-nope", "rt-x")).rejects.toThrow(ContainerNotFoundError);
      await rt.tagImage(before!.imageId!, "localhost/rt-tagged:1");
      expect(await rt.imageId("localhost/rt-tagged:1")).toBe(before!.imageId);
      // In use by the container, and named twice: kept, and said so.
      expect(await rt.removeImage(before!.imageId!)).toBe(false);
      expect(await rt.removeImage("localhost/rt-tagged:1")).toBe(true); // the name only
      expect(await rt.imageId(store.image)).toBe(before!.imageId);
      expect(await rt.removeImage("localhost/rt-absent:1")).toBe(false);
      await rt.removeContainer("rt-renamed.prev", { force: true });
    });

    it("stop honours the timeout and reports SIGKILL for a process that ignores SIGTERM", async () => {
      // busybox sleep as PID 1 ignores SIGTERM.
      await rt.createContainer(
        labelled({ name: "rt-stubborn", image: store.image, command: ["sleep", "300"] }),
      );
      await rt.startContainer("rt-stubborn");
      const started = Date.now();
      expect(await rt.stopContainer("rt-stubborn", { timeoutSeconds: 1 })).toEqual({
        killed: true,
      });
      expect(Date.now() - started).toBeLessThan(5_000);
      // A process that exits on SIGTERM is not killed.
      await rt.createContainer(
        labelled({
          name: "rt-polite",
          image: store.image,
          command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"],
        }),
      );
      await rt.startContainer("rt-polite");
      await new Promise((r) => setTimeout(r, 300));
      expect(await rt.stopContainer("rt-polite", { timeoutSeconds: 5 })).toEqual({ killed: false });
    });

    it("removes, and unknown containers are ContainerNotFoundError", async () => {
      await rt.removeContainer("rt-web", { force: true, volumes: true });
      expect(await rt.getContainerStatus("rt-web")).toBeNull();
      await expect(rt.startContainer("rt-nope")).rejects.toBeInstanceOf(ContainerNotFoundError);
      await expect(rt.stopContainer("rt-nope")).rejects.toBeInstanceOf(ContainerNotFoundError);
      await expect(rt.removeContainer("rt-nope")).rejects.toBeInstanceOf(ContainerNotFoundError);
      await expect(rt.getContainerLogs("rt-nope")).rejects.toBeInstanceOf(ContainerNotFoundError);
    });

    it("the statuses of 20 containers cost at most 2 podman processes", async () => {
      for (let i = 0; i < 20; i++) {
        await store.podman([
          "run",
          "-d",
          "--name",
          `rt-many-${i}`,
          "--label",
          `${Object.keys(store.labels)[0]}=${store.runId}`,
          "--label",
          "io.archy.app=many",
          store.image,
          "sleep",
          "300",
        ]);
      }
      const counter = join(store.dir, "calls.log");
      const wrapper = join(store.dir, "podman-counting");
      await writeFile(wrapper, `#!/bin/sh\necho "$*" >> ${counter}\nexec podman "$@"\n`);
      await chmod(wrapper, 0o755);
      const counting = new PodmanRuntime({
        podmanPath: wrapper,
        globalArgs: store.globalArgs,
        env: store.env,
      });
      const list = await counting.listContainers({ labels: { "io.archy.app": "many" } });
      expect(list).toHaveLength(20);
      expect(list.every((c) => c.state === "running" && c.startedAt !== null)).toBe(true);
      const calls = (await readFile(counter, "utf8")).trim().split("\n");
      expect(calls.length).toBeLessThanOrEqual(2);
    });

    /** A runtime on the store that records the argv of every podman process it runs. */
    const counting = () => {
      const argv: string[][] = [];
      const runtime = new PodmanRuntime({
        globalArgs: store.globalArgs,
        env: store.env,
        timeoutMs: 60_000,
        onCall: (call) => argv.push(call.argv),
      });
      return { runtime, argv };
    };
    const sleeper = (name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec =>
      labelled({ name, image: store.image, command: ["sleep", "300"], ...extra });
    let runPort: number;

    it("runContainer creates and starts in one podman process, with createContainer's arguments and errors", async () => {
      runPort = await freePort();
      const ports = [
        { hostIp: "127.0.0.1", hostPort: runPort, containerPort: 8080, protocol: "tcp" as const },
      ];
      const { runtime, argv } = counting();
      const id = await runtime.runContainer(sleeper("rt-run", { ports, env: { A: "1" } }));
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(argv).toHaveLength(1);
      expect(argv[0]?.slice(0, 3)).toEqual(["run", "--detach", "--name=rt-run"]);
      expect(argv[0]).toEqual(
        expect.arrayContaining(["--env=A=1", `--publish=127.0.0.1:${runPort}:8080/tcp`]),
      );
      expect(await rt.getContainerStatus("rt-run")).toMatchObject({
        id,
        state: "running",
        labels: store.labels,
        ports,
      });
      // The name taken: the same error as createContainer's.
      const runErr = await rt.runContainer(sleeper("rt-run")).catch((e: unknown) => e);
      const createErr = await rt.createContainer(sleeper("rt-run")).catch((e: unknown) => e);
      expect(runErr).toBeInstanceOf(PodmanCommandError);
      expect(createErr).toBeInstanceOf(PodmanCommandError);
      for (const e of [runErr, createErr])
        expect((e as PodmanCommandError).stderr).toMatch(
          /the container name "rt-run" is already in use/,
        );
      await expect(rt.runContainer(sleeper("-rt-run"))).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      // A start that fails (the port is taken) leaves the container created, as create + start would.
      const clash = await rt
        .runContainer(sleeper("rt-run-clash", { ports }))
        .catch((e: unknown) => e);
      expect(clash).toBeInstanceOf(PodmanCommandError);
      expect((clash as PodmanCommandError).stderr).toMatch(/address already in use/);
      expect((await rt.getContainerStatus("rt-run-clash"))?.state).toBe("created");
    });

    it("a named network that does not exist is created on first use (one more podman call), then reused", async () => {
      const network = `archy-rt-net-${store.runId}`;
      const { runtime, argv } = counting();
      try {
        await runtime.runContainer(sleeper("rt-net-a", { network }));
        expect(argv.map((a) => a.slice(0, 2).join(" "))).toEqual([
          "run --detach",
          "network create",
          "run --detach",
        ]);
        argv.length = 0;
        await runtime.runContainer(sleeper("rt-net-b", { network }));
        expect(argv).toHaveLength(1);
        const nets = await store.podman([
          "inspect",
          "--format",
          "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
          "rt-net-a",
          "rt-net-b",
        ]);
        expect(nets.stdout.trim().split(/\s+/)).toEqual([network, network]);
        // A built-in mode is never created: "none" runs at once.
        argv.length = 0;
        await runtime.runContainer(sleeper("rt-net-none", { network: "none" }));
        expect(argv).toHaveLength(1);
      } finally {
        await store.podman(["rm", "--force", "-t", "0", "rt-net-a", "rt-net-b", "rt-net-none"], {
          reject: false,
        });
        await store.podman(["network", "rm", "--", network], { reject: false });
      }
    });

    it("startContainers: one podman process starts a batch; one that cannot start (its port is taken) fails with podman's error, the others start", async () => {
      for (const name of ["rt-batch-0", "rt-batch-1", "rt-batch-2", "rt-batch-3"])
        await rt.createContainer(sleeper(name));
      const { runtime, argv } = counting();
      // rt-run-clash publishes the port rt-run holds; rt-run is running already.
      const result = await runtime.startContainers([
        "rt-batch-0",
        "rt-run-clash",
        "rt-batch-1",
        "rt-run",
        "rt-batch-2",
      ]);
      expect(result).toEqual({
        started: ["rt-batch-0", "rt-batch-1", "rt-run", "rt-batch-2"],
        failed: [
          {
            name: "rt-run-clash",
            error: expect.stringMatching(
              /^Error: unable to start container "[0-9a-f]{64}": cannot listen on the TCP port: listen tcp4 127\.0\.0\.1:\d+: bind: address already in use$/,
            ),
          },
        ],
      });
      // podman names the failure by id. 4.3 prints nothing for rt-run, already running: one
      // inspect tells them apart. 5.x prints its name, so the start's answer is whole.
      expect(argv.map((a) => a.slice(0, 2))).toEqual(
        podman.version!.startsWith("4.")
          ? [
              ["start", "--"],
              ["container", "inspect"],
            ]
          : [["start", "--"]],
      );
      const states = new Map((await rt.listContainers()).map((c) => [c.name, c.state]));
      for (const name of ["rt-batch-0", "rt-batch-1", "rt-batch-2", "rt-run"])
        expect(states.get(name)).toBe("running");
      expect(states.get("rt-run-clash")).toBe("created");
      expect(states.get("rt-batch-3")).toBe("created");
    });

    it("startContainers: one failure alone, all already running, an empty list cost one process or none", async () => {
      const { runtime, argv } = counting();
      expect(await runtime.startContainers([])).toEqual({ started: [], failed: [] });
      expect(argv).toHaveLength(0);
      expect(await runtime.startContainers(["rt-batch-0", "rt-batch-1", "rt-batch-0"])).toEqual({
        started: ["rt-batch-0", "rt-batch-1"],
        failed: [],
      });
      expect(argv).toHaveLength(1);
      const alone = await runtime.startContainers(["rt-run-clash"]);
      expect(alone.started).toEqual([]);
      expect(alone.failed).toEqual([
        { name: "rt-run-clash", error: expect.stringMatching(/address already in use$/) },
      ]);
      expect(argv).toHaveLength(2);
      await expect(runtime.startContainers(["rt-batch-0", "-a"])).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      expect(argv).toHaveLength(2);
    });

    it("startContainers: podman starts none of a batch naming a removed container; it is reported, the others start", async () => {
      await store.podman(["stop", "--time=0", "rt-batch-0", "rt-batch-1"]);
      await rt.removeContainer("rt-batch-2", { force: true });
      // podman 4.3.1 itself refuses the whole batch.
      const raw = await store.podman(["start", "rt-batch-0", "rt-batch-2"], { reject: false });
      expect(raw).toEqual({
        exitCode: 125,
        stdout: "",
        stderr: 'Error: no container with name or ID "rt-batch-2" found: no such container',
      });
      expect((await rt.getContainerStatus("rt-batch-0"))?.state).toBe("exited");

      const { runtime, argv } = counting();
      const result = await runtime.startContainers([
        "rt-batch-0",
        "rt-batch-2",
        "rt-batch-1",
        "rt-batch-gone",
        "rt-batch-3",
      ]);
      expect(result).toEqual({
        started: ["rt-batch-0", "rt-batch-1", "rt-batch-3"],
        failed: [
          {
            name: "rt-batch-2",
            error: 'Error: no container with name or ID "rt-batch-2" found: no such container',
          },
          // podman stops at the first missing name; the second is found missing by the inspect.
          { name: "rt-batch-gone", error: "no such container: rt-batch-gone" },
        ],
      });
      // The refused batch, one inspect, one start of the ones podman never tried.
      expect(argv.map((a) => a[0])).toEqual(["start", "container", "start"]);
      expect(argv[2]).toEqual(["start", "--", "rt-batch-0", "rt-batch-1", "rt-batch-3"]);
      const states = new Map((await rt.listContainers()).map((c) => [c.name, c.state]));
      for (const name of ["rt-batch-0", "rt-batch-1", "rt-batch-3"])
        expect(states.get(name)).toBe("running");
    });
  },
);
