// `archy service install|uninstall|status` and doctor's service check, with
// the machine passed in: a temporary root (with or without
// /run/systemd/system), the unit file in a temporary folder, and a stand-in
// systemctl. No real service manager is touched.
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Systemctl, type RunRequest, type RunResult } from "@archy/systemd";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { createContext, type Context } from "../context.js";
import { classify, EXIT } from "../errors.js";
import { install, serviceCheck, status, uninstall, type ServiceSystem } from "./service.js";

let root: string;
let stdout: string[];
let stderr: string[];
let server: Server | null = null;
let manager: { loaded: boolean; enabled: boolean; active: string; pid: number; inv: string };
let calls: string[];

const context = (json = true): Context =>
  createContext({ stateDir: join(root, "my state"), manifests: join(root, "apps"), json });

/** systemctl as a service manager would answer it, from `manager`. */
async function systemctl({ args }: RunRequest): Promise<RunResult> {
  const words = args.filter((a) => a !== "--no-ask-password" && a !== "--user");
  calls.push(words.join(" "));
  const ok = (stdout = ""): RunResult => ({
    exitCode: 0,
    stdout,
    stderr: "",
    timedOut: false,
    spawnError: null,
  });
  const m = manager;
  switch (words[0]) {
    case "show":
      return ok(
        [
          `LoadState=${m.loaded ? "loaded" : "not-found"}`,
          `ActiveState=${m.active}`,
          `SubState=${m.active === "active" ? "running" : "dead"}`,
          `UnitFileState=${m.loaded ? (m.enabled ? "enabled" : "disabled") : ""}`,
          `MainPID=${m.pid}`,
          "NRestarts=0",
          `InvocationID=${m.inv}`,
          "Result=success",
        ].join("\n"),
      );
    case "daemon-reload":
      m.loaded = await readFile(join(root, "units/archy.service")).then(
        () => true,
        () => false,
      );
      return ok();
    case "enable":
      Object.assign(m, { enabled: true, active: "active", pid: 4242, inv: "feedface" });
      return ok();
    case "disable":
      Object.assign(m, { enabled: false, active: "inactive", pid: 0, inv: "" });
      return ok();
    default:
      return ok();
  }
}

const sys = (over: Partial<ServiceSystem> = {}): ServiceSystem => ({
  env: { ARCHY_PODMAN: "/opt/podman/bin/podman", ARCHY_PODMAN_ARGS: "--root /srv/store" },
  root,
  isRoot: false,
  userName: "alice",
  nodePath: "/usr/bin/node",
  archyBin: "/opt/archy/bin/archy.js",
  unitPath: () => join(root, "units/archy.service"),
  systemctl: (mode) => new Systemctl({ user: mode === "user", run: systemctl }),
  ...over,
});
const booted = () => mkdir(join(root, "run/systemd/system"), { recursive: true });
const json = () => JSON.parse(stdout.join("")) as Record<string, unknown>;

/** A daemon on the state folder's socket whose GET /v1/daemon says `info`. */
async function daemon(info: unknown) {
  await mkdir(join(root, "my state"), { recursive: true, mode: 0o700 });
  server = createServer((_req, res) => {
    const body = JSON.stringify(info);
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
  server.listen(join(root, "my state", "archy.sock"));
  await once(server, "listening");
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-service-cli-"));
  stdout = [];
  stderr = [];
  calls = [];
  manager = { loaded: false, enabled: false, active: "inactive", pid: 0, inv: "" };
  vi.spyOn(process.stdout, "write").mockImplementation((t) => {
    stdout.push(String(t));
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((t) => {
    stderr.push(String(t));
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  server?.closeAllConnections();
  if (server) await new Promise((r) => server!.close(r));
  server = null;
  await rm(root, { recursive: true, force: true });
});

describe("archy service install", () => {
  it("--user: writes the unit with the folders and podman settings the CLI resolved, starts it, tells about linger", async () => {
    await booted();
    expect(await install(context(), { user: true, interval: "45s", http: ":7777" }, sys())).toBe(0);
    const unit = await readFile(join(root, "units/archy.service"), "utf8");
    expect(unit).toContain(
      "ExecStart=/usr/bin/node /opt/archy/bin/archy.js daemon --interval 45s --http :7777",
    );
    expect(unit).toContain(`Environment="ARCHY_STATE_DIR=${join(root, "my state")}"`);
    expect(unit).toContain(`Environment=ARCHY_MANIFESTS=${join(root, "apps")}`);
    expect(unit).toContain("Environment=ARCHY_PODMAN=/opt/podman/bin/podman");
    expect(unit).toContain('Environment="ARCHY_PODMAN_ARGS=--root /srv/store"');
    expect(unit).toContain("WantedBy=default.target");
    expect(calls).toEqual([
      expect.stringMatching(/^show/),
      "daemon-reload",
      "enable --now archy.service",
      expect.stringMatching(/^show/),
    ]);
    expect(json()).toMatchObject({
      unit: "archy.service",
      manager: "user",
      path: join(root, "units/archy.service"),
      changed: true,
      restarted: false,
      enabled: true,
      activeState: "active",
      mainPid: 4242,
      linger: false,
    });
  });

  it("human output: what was written, the state, and how to make the user's service start at boot", async () => {
    await booted();
    await install(context(false), { user: true }, sys());
    expect(stdout.join("")).toMatch(/archy.service: written to .*units\/archy.service\n/);
    expect(stdout.join("")).toMatch(/archy.service: enabled, active \(running\), main PID 4242/);
    expect(stderr.join("")).toMatch(/loginctl enable-linger alice/);
    stdout.length = 0;
    stderr.length = 0;
    await mkdir(join(root, "var/lib/systemd/linger"), { recursive: true });
    await writeFile(join(root, "var/lib/systemd/linger/alice"), "");
    await install(context(false), { user: true }, sys());
    expect(stdout.join("")).toMatch(/unchanged in/);
    expect(stderr.join("")).toMatch(/lingering is on for alice/);
  });

  it("the system service needs root; as root it is a multi-user.target unit", async () => {
    await booted();
    await expect(install(context(), {}, sys())).rejects.toMatchObject({ exitCode: EXIT.usage });
    expect(await install(context(), {}, sys({ isRoot: true }))).toBe(0);
    expect(await readFile(join(root, "units/archy.service"), "utf8")).toContain(
      "WantedBy=multi-user.target",
    );
    expect(json().linger).toBeNull();
  });

  it("refuses clearly where systemd does not run (exit 2), before writing anything", async () => {
    const error = await install(context(), { user: true }, sys()).catch((e: unknown) => e);
    expect(classify(error)).toMatchObject({ exitCode: EXIT.usage, bug: false });
    expect(classify(error).message).toMatch(/systemd is not running/);
    expect(calls).toEqual([]);
  });

  it("refuses a bad --interval or --http (exit 2)", async () => {
    await booted();
    await expect(install(context(), { user: true, interval: "0s" }, sys())).rejects.toMatchObject({
      exitCode: EXIT.usage,
    });
    await expect(install(context(), { user: true, http: "nope" }, sys())).rejects.toMatchObject({
      exitCode: EXIT.usage,
    });
  });

  it("refuses while a daemon started by hand holds the state folder (exit 3); the service's own is fine", async () => {
    await booted();
    await daemon({ pid: 77, systemd: null });
    await expect(install(context(), { user: true }, sys())).rejects.toMatchObject({
      exitCode: EXIT.locked,
      message: expect.stringMatching(/PID 77.*outside the service/) as unknown,
    });
    server!.closeAllConnections();
    await new Promise((r) => server!.close(r));
    await daemon({ pid: 78, systemd: { invocationId: "x", unit: "archy.service" } });
    expect(await install(context(), { user: true }, sys())).toBe(0);
  });
});

describe("archy service uninstall and status", () => {
  it("status --json before and after install, and when the file is out of date", async () => {
    await booted();
    await status(context(), { user: true }, sys());
    expect(json()).toMatchObject({
      systemd: true,
      installed: false,
      upToDate: null,
      options: null,
      enabled: false,
    });
    await install(context(), { user: true, http: "127.0.0.1:8080" }, sys());
    stdout.length = 0;
    await status(context(), { user: true }, sys());
    expect(json()).toMatchObject({
      unit: "archy.service",
      manager: "user",
      installed: true,
      upToDate: true,
      options: { interval: "30s", http: "127.0.0.1:8080" },
      enabled: true,
      activeState: "active",
      subState: "running",
      mainPid: 4242,
      restarts: 0,
      invocationId: "feedface",
      linger: false,
    });
    stdout.length = 0;
    await status(context(), { user: true }, sys({ nodePath: "/usr/local/bin/node" }));
    expect(json().upToDate).toBe(false);
  });

  it("status without systemd says so (exit 0)", async () => {
    expect(await status(context(), {}, sys())).toBe(0);
    expect(json()).toMatchObject({ systemd: false, installed: false, upToDate: null });
  });

  it("uninstall: disabled and stopped, file removed, containers keep running", async () => {
    await booted();
    await install(context(), { user: true }, sys());
    stdout.length = 0;
    calls = [];
    expect(await uninstall(context(false), { user: true }, sys())).toBe(0);
    expect(calls.filter((c) => !c.startsWith("show"))).toEqual([
      "disable --now archy.service",
      "daemon-reload",
    ]);
    expect(stdout.join("")).toMatch(/stopped, disabled, .* removed/);
    expect(stderr.join("")).toMatch(/containers keep running/);
    await expect(readFile(join(root, "units/archy.service"))).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("through the CLI: `archy service status --json` on this host", async () => {
    const code = await main([
      "node",
      "archy",
      "--state-dir",
      join(root, "s"),
      "service",
      "status",
      "--json",
    ]);
    expect(code).toBe(0);
    expect(json()).toMatchObject({ unit: "archy.service", manager: "system" });
  });
});

describe("doctor's service check", () => {
  it("never fails: no systemd is fine, not installed is a hint", async () => {
    expect(await serviceCheck(context(), null, sys())).toMatchObject({
      status: "ok",
      detail: expect.stringMatching(/systemd is not running/) as unknown,
    });
    await booted();
    expect(await serviceCheck(context(), null, sys())).toMatchObject({
      status: "warn",
      detail: expect.stringContaining("`archy service install --user`") as unknown,
    });
  });

  it("ok when the daemon that answers is the service's; a warning when it runs outside it", async () => {
    await booted();
    await install(context(), { user: true }, sys());
    const ours = { pid: 4242, systemd: { invocationId: "feedface", unit: "archy.service" } };
    expect(await serviceCheck(context(), ours, sys())).toMatchObject({
      status: "ok",
      detail: expect.stringMatching(/enabled, active \(running\), main PID 4242/) as unknown,
    });
    expect(await serviceCheck(context(), { pid: 99, systemd: null }, sys())).toMatchObject({
      status: "warn",
      detail: expect.stringMatching(/PID 99\) runs outside archy.service/) as unknown,
    });
    manager.active = "failed";
    expect((await serviceCheck(context(), null, sys())).detail).toMatch(/not running \(failed/);
  });
});
