import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { installService, lingerEnabled, serviceStatus, uninstallService } from "./service.js";
import { Systemctl } from "./systemctl.js";
import { fakeRunner, type SeenCall } from "./test-runner.js";
import { renderServiceUnit, type ServiceUnitOptions } from "./unit.js";

const initial = { loaded: false, enabled: false, active: "inactive", pid: 0, needReload: false };

/** A service manager as far as these functions see it, behind a fake systemctl. */
function fakeManager(path: string, start: Partial<typeof initial> = {}) {
  const m = { ...initial, ...start, invocations: 0 };
  const exists = () =>
    stat(path).then(
      () => true,
      () => false,
    );
  const answer = async (c: SeenCall) => {
    const [verb, ...rest] = c.args.filter((a) => a !== "--no-ask-password" && a !== "--user");
    if (verb === "show")
      return {
        stdout: [
          `LoadState=${m.loaded ? "loaded" : "not-found"}`,
          `ActiveState=${m.active}`,
          `UnitFileState=${m.loaded ? (m.enabled ? "enabled" : "disabled") : ""}`,
          `MainPID=${m.pid}`,
          `InvocationID=${m.active === "active" ? `inv${m.invocations}` : ""}`,
          `NeedDaemonReload=${m.needReload ? "yes" : "no"}`,
        ].join("\n"),
      };
    if (verb === "daemon-reload") {
      m.loaded = await exists();
      m.needReload = false;
    } else if (verb === "enable" && rest[0] === "--now") {
      if (!m.loaded) return { exitCode: 1, stderr: "Unit archy.service not found.\n" };
      m.enabled = true;
      if (m.active !== "active")
        Object.assign(m, { active: "active", pid: m.pid + 100, invocations: m.invocations + 1 });
    } else if (verb === "disable" && rest[0] === "--now") {
      Object.assign(m, { enabled: false, active: "inactive", pid: 0 });
    } else if (verb === "try-restart") {
      if (m.active === "active")
        Object.assign(m, { pid: m.pid + 1, invocations: m.invocations + 1 });
    } else if (verb === "reset-failed") {
      if (m.active === "failed") m.active = "inactive";
    } else return { exitCode: 1, stderr: `unexpected ${c.args.join(" ")}` };
    return {};
  };
  const fake = fakeRunner(answer);
  const verbs = () =>
    fake.calls.map((c) => c.args.filter((a) => a !== "--no-ask-password").join(" "));
  return { m, fake, verbs, systemctl: new Systemctl({ run: fake.run }) };
}

const options: ServiceUnitOptions = {
  mode: "user",
  nodePath: "/usr/bin/node",
  archyBin: "/opt/archy/bin/archy.js",
  stateDir: "/home/u/.local/state/archy",
  manifestsDir: "/home/u/.config/archy/apps",
};
const UNIT = renderServiceUnit(options);

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "archy-service-"));
  path = join(dir, "config/systemd/user/archy.service"); // its folders do not exist yet
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("installService", () => {
  it("a first install writes the file (0644, folders made), reloads and starts the service", async () => {
    const mgr = fakeManager(path);
    const r = await installService({ path, systemctl: mgr.systemctl }, UNIT);
    expect(await readFile(path, "utf8")).toBe(UNIT);
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    expect(mgr.verbs()).toEqual([
      "show --property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts,InvocationID,FragmentPath,NeedDaemonReload,Result archy.service",
      "daemon-reload",
      "enable --now archy.service",
      expect.stringMatching(/^show /),
    ]);
    expect(r).toMatchObject({ path, changed: true, reloaded: true, restarted: false });
    expect(r.state).toMatchObject({
      activeState: "active",
      unitFileState: "enabled",
      mainPid: 100,
    });
  });

  it("the same file again: nothing written, no reload, no restart", async () => {
    await mkdir(join(dir, "config/systemd/user"), { recursive: true });
    await writeFile(path, UNIT, { mode: 0o644 });
    const before = (await stat(path)).ino;
    const mgr = fakeManager(path, { loaded: true, enabled: true, active: "active", pid: 7 });
    const r = await installService({ path, systemctl: mgr.systemctl }, UNIT);
    expect((await stat(path)).ino).toBe(before); // not even replaced by an equal file
    expect(mgr.verbs().filter((v) => !v.startsWith("show"))).toEqual([
      "enable --now archy.service",
    ]);
    expect(r).toMatchObject({ changed: false, reloaded: false, restarted: false });
    expect(r.state.mainPid).toBe(7);
  });

  it("a changed file while the service runs: written, reloaded, restarted", async () => {
    await mkdir(join(dir, "config/systemd/user"), { recursive: true });
    await writeFile(path, UNIT.replace("30s", "1m"));
    const mgr = fakeManager(path, { loaded: true, enabled: true, active: "active", pid: 7 });
    const r = await installService({ path, systemctl: mgr.systemctl }, UNIT);
    expect(await readFile(path, "utf8")).toBe(UNIT);
    expect(mgr.verbs().filter((v) => !v.startsWith("show"))).toEqual([
      "daemon-reload",
      "enable --now archy.service",
      "try-restart archy.service",
    ]);
    expect(r).toMatchObject({ changed: true, reloaded: true, restarted: true });
    expect(r.state.mainPid).toBe(8);
  });

  it("a failed unit is reset first (a start limit hit would refuse the start); a pending reload is done", async () => {
    await mkdir(join(dir, "config/systemd/user"), { recursive: true });
    await writeFile(path, UNIT);
    const mgr = fakeManager(path, { loaded: true, active: "failed", needReload: true });
    const r = await installService({ path, systemctl: mgr.systemctl }, UNIT);
    expect(mgr.verbs().filter((v) => !v.startsWith("show"))).toEqual([
      "daemon-reload",
      "reset-failed archy.service",
      "enable --now archy.service",
    ]);
    expect(r).toMatchObject({ changed: false, reloaded: true, restarted: false });
  });

  it("a start that fails is the caller's error, the file stays for `status` and a later install", async () => {
    const fake = fakeRunner((c) =>
      c.args.includes("enable")
        ? { exitCode: 1, stderr: "Job for archy.service failed.\n" }
        : { stdout: c.args.includes("show") ? "LoadState=not-found\nActiveState=inactive\n" : "" },
    );
    await expect(
      installService({ path, systemctl: new Systemctl({ run: fake.run }) }, UNIT),
    ).rejects.toMatchObject({ code: "ESYSTEMCTL" });
    expect(await readFile(path, "utf8")).toBe(UNIT);
  });
});

describe("uninstallService", () => {
  it("stops and disables, removes the file, reloads; a second time there is nothing to do", async () => {
    const mgr = fakeManager(path);
    await installService({ path, systemctl: mgr.systemctl }, UNIT);
    mgr.fake.calls.length = 0;
    const r = await uninstallService({ path, systemctl: mgr.systemctl });
    expect(r).toEqual({ path, removed: true, stopped: true });
    await expect(stat(path)).rejects.toMatchObject({ code: "ENOENT" });
    expect(mgr.verbs().filter((v) => !v.startsWith("show"))).toEqual([
      "disable --now archy.service",
      "daemon-reload",
    ]);
    mgr.fake.calls.length = 0;
    expect(await uninstallService({ path, systemctl: mgr.systemctl })).toEqual({
      path,
      removed: false,
      stopped: false,
    });
    expect(mgr.verbs().filter((v) => !v.startsWith("show"))).toEqual([]);
  });

  it("a failed unit's failure is reset; a reset of a unit already gone is not an error", async () => {
    await mkdir(join(dir, "config/systemd/user"), { recursive: true });
    await writeFile(path, UNIT);
    const mgr = fakeManager(path, { loaded: true, active: "failed" });
    const gone = fakeRunner(async (c) =>
      c.args.includes("reset-failed")
        ? {
            exitCode: 1,
            stderr:
              "Failed to reset failed state of unit archy.service: Unit archy.service not loaded.\n",
          }
        : mgr.fake.run({ file: c.file, args: c.args, timeoutMs: c.timeoutMs }),
    );
    const r = await uninstallService({ path, systemctl: new Systemctl({ run: gone.run }) });
    expect(r).toEqual({ path, removed: true, stopped: false });
    expect(gone.calls.map((c) => c.args.at(-2))).toContain("reset-failed");
  });
});

describe("serviceStatus", () => {
  it("installed, the manager's view, the options read back, and whether the file is current", async () => {
    const mgr = fakeManager(path);
    const render = (o: { interval: string | null; http: string | null }) =>
      renderServiceUnit({
        ...options,
        interval: o.interval ?? "30s",
        ...(o.http ? { http: o.http } : {}),
      });
    let s = await serviceStatus({ path, systemctl: mgr.systemctl }, render);
    expect(s).toMatchObject({ path, installed: false, options: null, upToDate: null });
    expect(s.state.loadState).toBe("not-found");

    await installService(
      { path, systemctl: mgr.systemctl },
      renderServiceUnit({ ...options, http: ":7777" }),
    );
    s = await serviceStatus({ path, systemctl: mgr.systemctl }, render);
    expect(s).toMatchObject({
      installed: true,
      options: { interval: "30s", http: ":7777" },
      upToDate: true,
    });
    expect(s.state).toMatchObject({ activeState: "active", unitFileState: "enabled" });

    s = await serviceStatus({ path, systemctl: mgr.systemctl }, (o) =>
      renderServiceUnit({
        ...options,
        nodePath: "/usr/local/bin/node",
        ...(o.http ? { http: o.http } : {}),
      }),
    );
    expect(s.upToDate).toBe(false);
  });
});

describe("lingerEnabled", () => {
  it("is /var/lib/systemd/linger/<user> there", async () => {
    expect(await lingerEnabled("u", dir)).toBe(false);
    await mkdir(join(dir, "var/lib/systemd/linger"), { recursive: true });
    await writeFile(join(dir, "var/lib/systemd/linger/u"), "");
    expect(await lingerEnabled("u", dir)).toBe(true);
  });
});
