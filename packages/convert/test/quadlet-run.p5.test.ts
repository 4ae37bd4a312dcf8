// A generated ExecStart= run by podman 5 in an isolated store, and the
// container it made inspected: command, env (plain and from the env file),
// ports, volumes (named, and host paths with blanks, quotes and `$`),
// labels, health check, stop settings and caps as archy means them, field by
// field beside the container archy's own runtime creates from the same
// manifest (runtime-podman's createArgs). Then the service answers.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseManifest, toContainerSpec, type AppManifest } from "@archy/reconciler";
import { createPodmanStore, freePort, type PodmanStore, waitFor } from "@archy/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArgs } from "../../runtime-podman/src/args.js";
import { exportQuadlet } from "../src/quadlet/export.js";
import {
  generate,
  generatorMissing,
  scratch,
  serviceValues,
  writeUnits,
} from "./quadlet-generator.js";
import { execStartCommands } from "./systemd-exec.js";

const missing = generatorMissing();
if (missing !== null && process.env.CI)
  throw new Error(`CI is set, so the podman 5 tests must run, but ${missing}`);

const manifest = (image: string, port: number, host: string) => `app:
  id: runme
  name: Run me
  version: "1"
  container:
    image: ${image}
    command: ["sh", "-c", "exec httpd -f -p 8080 -h /www", "it's", "100%", "$HOME", " "]
    env:
      GREETING: hello world
      PRICE: 100%
      SHELL_VAR: $HOME and \${PATH}
      MULTI: "one\\ntwo"
      QUOTES: say "hi" 'there'
      EMPTY: ""
      DB_PASSWORD: ' "quoted" #x $y %z '
      API_TOKEN: "tok#en=1"
    ports: ["127.0.0.1:${port}:8080"]
    volumes:
      - "runme-data:/data"
      - "${host}/host dir:/hostdir:ro"
      - "${host}/it's \\"q\\" $x:/quoted"
    cap_add: [NET_ADMIN]
    cap_drop: [CHOWN]
    stop_timeout: 3s
    stop_signal: SIGINT
    healthcheck:
      cmd: ["wget", "-qO-", "http://127.0.0.1:8080/"]
      interval: 30s
      timeout: 2s
      retries: 2
      start_period: 1s
`;

type Inspect = {
  Config: {
    Cmd: string[];
    Entrypoint: string[] | null;
    Env: string[];
    Labels: Record<string, string>;
    StopSignal: string;
    StopTimeout: number;
    Healthcheck?: {
      Test: string[];
      Interval: number;
      Timeout: number;
      Retries: number;
      StartPeriod: number;
    };
  };
  HostConfig: {
    PortBindings: Record<string, unknown>;
    CapDrop: string[];
    CapAdd: string[];
    ReadonlyRootfs: boolean;
  };
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
  State: { Running: boolean };
};

describe.skipIf(missing !== null)(`a generated service run by podman 5 ${missing ?? ""}`, () => {
  let store: PodmanStore;
  let work: { path: string; remove: () => Promise<void> };
  let app: AppManifest;
  let port: number;
  let unit: Inspect;
  let meant: Inspect;
  const inspect = async (name: string) =>
    (JSON.parse((await store.podman(["inspect", name])).stdout) as Inspect[])[0]!;

  beforeAll(async () => {
    store = await createPodmanStore();
    work = await scratch("archy-quadlet-run-");
    port = await freePort();
    const host = join(work.path, "host");
    for (const dir of ["host dir", `it's "q" $x`])
      await mkdir(join(host, dir), { recursive: true });
    await writeFile(join(host, "host dir", "f"), "from the host\n");
    const parsed = parseManifest(manifest(store.image, port, host), join(work.path, "runme.yaml"));
    expect(parsed.errors).toEqual([]);
    app = parsed.app!;

    const units = join(work.path, "units");
    const out = exportQuadlet([app], { outDir: units, podman: "5.4" });
    expect(out.refused).toEqual([]);
    await writeUnits(units, out.files);
    const g = await generate(units);
    const [execStart] = serviceValues(g.units.get("archy-runme.service")!, "ExecStart");
    const runtimeDir = join(work.path, "run");
    await mkdir(runtimeDir);
    const [argv] = execStartCommands(execStart!, { runtimeDir, unitName: "archy-runme.service" });
    // The service's command as systemd would run it, on the test store (its
    // --root/--runroot after the binary), word for word but one:
    // --cgroups=split puts the container under the cgroup of the service
    // that runs it, which needs systemd ("could not find cgroup mount in
    // /proc/self/cgroup" here); it says where the container's cgroup lives,
    // nothing inspect shows. Without systemd's NOTIFY_SOCKET,
    // --sdnotify=conmon does nothing. No test label is added: the store and
    // everything in it go in afterAll.
    expect(argv!.slice(0, 2)).toEqual(["/usr/bin/podman", "run"]);
    expect(argv!.filter((w) => w === "--cgroups=split")).toHaveLength(1);
    await store.podman(
      argv!.slice(1).filter((w) => w !== "--cgroups=split"),
      { timeoutMs: 60_000 },
    );
    unit = await inspect("archy-runme");

    // What archy's own runtime creates from the same manifest, beside it.
    await store.podman(createArgs({ ...toContainerSpec(app), name: "archy-runme-meant" }));
    meant = await inspect("archy-runme-meant");
  });
  afterAll(async () => {
    await store?.cleanup();
    await work?.remove();
  });

  it("runs the command and entrypoint archy means", () => {
    expect(unit.State.Running).toBe(true);
    expect(unit.Config.Cmd).toEqual(app.container.command);
    expect(unit.Config.Cmd).toEqual(meant.Config.Cmd);
    expect(unit.Config.Entrypoint).toEqual(meant.Config.Entrypoint);
  });

  it("has every env value, plain and secret, exactly (the env file read by podman)", () => {
    for (const [k, v] of Object.entries(app.container.env))
      expect(unit.Config.Env).toContain(`${k}=${v}`);
    const ours = (env: string[]) =>
      env.filter((e) => Object.hasOwn(app.container.env, e.split("=")[0]!)).sort();
    expect(ours(unit.Config.Env)).toEqual(ours(meant.Config.Env));
  });

  it("publishes the port, mounts the named volume and both host paths (blanks, quotes, $) as meant", () => {
    expect(unit.HostConfig.PortBindings).toEqual({
      "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }],
    });
    expect(unit.HostConfig.PortBindings).toEqual(meant.HostConfig.PortBindings);
    const mounts = (i: Inspect) =>
      i.Mounts.map((m) => ({
        type: m.Type,
        name: m.Name ?? null,
        source: m.Type === "bind" ? m.Source : null,
        destination: m.Destination,
        rw: m.RW,
      })).sort((a, b) => (a.destination < b.destination ? -1 : 1));
    expect(mounts(unit)).toEqual(mounts(meant));
    expect(mounts(unit)).toEqual([
      { type: "volume", name: "runme-data", source: null, destination: "/data", rw: true },
      {
        type: "bind",
        name: null,
        source: join(work.path, "host", "host dir"),
        destination: "/hostdir",
        rw: false,
      },
      {
        type: "bind",
        name: null,
        source: join(work.path, "host", `it's "q" $x`),
        destination: "/quoted",
        rw: true,
      },
    ]);
  });

  it("carries archy's label, health check, stop signal and timeout, and caps", () => {
    expect(unit.Config.Labels["io.archy.app"]).toBe("runme");
    expect(unit.Config.Labels).toEqual(meant.Config.Labels);
    expect(unit.Config.Healthcheck?.Test).toEqual([
      "CMD",
      "wget",
      "-qO-",
      "http://127.0.0.1:8080/",
    ]);
    expect(unit.Config.Healthcheck?.Test).toEqual(meant.Config.Healthcheck?.Test);
    const s = 1e9;
    expect(unit.Config.Healthcheck).toMatchObject({
      Interval: 30 * s,
      Timeout: 2 * s,
      Retries: 2,
      StartPeriod: 1 * s,
    });
    expect({ ...unit.Config.Healthcheck, Interval: 0 }).toEqual({
      ...meant.Config.Healthcheck,
      Interval: 0,
    });
    expect([unit.Config.StopSignal, unit.Config.StopTimeout]).toEqual(["SIGINT", 3]);
    expect([meant.Config.StopSignal, meant.Config.StopTimeout]).toEqual(["SIGINT", 3]);
    expect(unit.HostConfig.CapDrop).toEqual(meant.HostConfig.CapDrop);
    expect(unit.HostConfig.CapDrop).toContain("CAP_CHOWN");
    expect(unit.HostConfig.CapAdd).toContain("CAP_NET_ADMIN");
    expect(unit.HostConfig.CapAdd).toEqual(meant.HostConfig.CapAdd);
  });

  it("serves on its published port, the host folder mounted", async () => {
    const body = await waitFor(
      async () => {
        const r = await fetch(`http://127.0.0.1:${port}/`).catch(() => null);
        return r?.ok ? r.text() : undefined;
      },
      { timeoutMs: 30_000, what: "the service on its port" },
    );
    expect(body).toContain("hello from archy");
    const read = await store.podman(["exec", "archy-runme", "cat", "/hostdir/f"]);
    expect(read.stdout).toBe("from the host");
  });

  it("negative: a secret value with a line break does not survive podman's env file (why archy refuses it)", async () => {
    const file = join(work.path, "broken.env");
    await writeFile(file, "TLS_KEY=line one\nline two\n");
    const r = await store.podman(["run", "--rm", "--env-file", file, store.image, "env"], {
      reject: false,
    });
    expect(r.stdout).not.toContain("TLS_KEY=line one\nline two");
  });
});
