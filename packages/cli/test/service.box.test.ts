// archy as a systemd service in a booted box (systemd 257 as PID 1, podman 5,
// crun, scripts/hosts/box.sh): installed from the packed npm tarballs with
// `npm install -g`, `archy service install`, the example apps up; then
// `systemctl restart` and `stop` under podman's systemd and cgroupfs managers,
// a reboot, a frozen daemon and Quadlet, as an owner's server would see them.
// Figures go to test/artifacts/box-figures.json.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyExamplesInto, createBox, waitFor, type Box } from "@archy/test-utils";
import {
  APPS,
  installArchy,
  parseUsec,
  serviceCommands,
  writeFigures,
  type PsApp,
} from "./box-service.js";

const EXAMPLES = "/srv/archy";
const MANIFESTS = `${EXAMPLES}/apps`;
const figures: Record<string, unknown> = {};

describe("archy as a systemd service in a booted box", () => {
  let box: Box;
  const { archy, ps, serves, allServe, show, containers, systemctl, run } = serviceCommands(
    () => box,
    { env: { ARCHY_MANIFESTS: MANIFESTS } },
  );

  beforeAll(async () => {
    box = await createBox("svc");
    await installArchy(box);
    await copyExamplesInto(box, EXAMPLES.slice(1));
    await box.boot();
  }, 600_000);

  afterAll(async () => {
    await writeFigures("box-figures", figures);
    await box?.destroy();
  });

  it("archy service install: the unit is enabled and active, READY only once the apps run", async () => {
    const t0 = Date.now();
    const install = await archy(["service", "install", "--json"]);
    expect(install.exitCode, install.stderr).toBe(0);
    const unit = await show("archy.service", [
      "ActiveState",
      "UnitFileState",
      "Type",
      "NotifyAccess",
    ]);
    expect(unit).toMatchObject({ ActiveState: "active", UnitFileState: "enabled", Type: "notify" });
    // Type=notify: `enable --now` returned after READY=1, which comes after the first pass.
    expect((await ps()).map((a) => a.id).sort()).toEqual(["clock", "greeter", "web"]);
    await waitFor(() => allServe(), {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: "the example apps to serve",
    });
    figures.installToServingMs = Date.now() - t0;
    // A second install changes nothing and restarts nothing.
    const pid = (await show("archy.service", ["MainPID"])).MainPID;
    const again = await archy(["service", "install", "--json"]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await show("archy.service", ["MainPID"])).MainPID).toBe(pid);
  });

  /**
   * Containers outside archy's cgroup, and neither `systemctl restart archy`
   * nor `systemctl stop archy` touches them: the same ids and start times, no
   * restart counted, still serving.
   */
  const servicesLeaveContainersAlone = async (manager: string) => {
    const unitCgroup = (await show("archy.service", ["ControlGroup"])).ControlGroup!;
    expect(unitCgroup).toMatch(/archy\.service$/);
    for (const line of await containers()) {
      const name = line.split(" ")[0]!;
      const inspect = await run([
        "podman",
        "inspect",
        "-f",
        "{{.State.Pid}} {{.State.ConmonPid}} {{.HostConfig.CgroupManager}}",
        name,
      ]);
      const [pid, conmon, used] = inspect.stdout.trim().split(" ");
      expect(used, name).toBe(manager);
      const cgroupOf = async (p: string) => (await run(["cat", `/proc/${p}/cgroup`])).stdout;
      expect(await cgroupOf(pid!), name).not.toContain(unitCgroup);
      // Under cgroupfs podman 5 leaves conmon where it was started: in archy's cgroup, which
      // KillMode=process keeps alive (packages/systemd/README.md). Under systemd, a scope of its own.
      if (manager === "systemd")
        expect(await cgroupOf(conmon!), `${name}'s conmon`).toContain("/libpod-conmon-");
      else expect(await cgroupOf(conmon!), `${name}'s conmon`).toContain(unitCgroup);
    }
    const before = await containers();
    const phases = (await ps()).map((a) => [a.id, a.phase]);
    const t0 = Date.now();
    await systemctl(["restart", "archy"]);
    figures[`serviceRestartMs_${manager}`] = Date.now() - t0;
    expect((await show("archy.service", ["ActiveState"])).ActiveState).toBe("active");
    expect((await archy(["up"])).exitCode).toBe(0);
    expect(await containers()).toEqual(before);
    // `restarts` counts this daemon's starts of each app: the new daemon made none.
    const after = await ps();
    expect(after.map((a) => [a.id, a.phase])).toEqual(phases);
    expect(after.map((a) => a.restarts)).toEqual([0, 0, 0]);

    await systemctl(["stop", "archy"]);
    expect((await show("archy.service", ["Result"])).Result).toBe("success");
    expect(await containers()).toEqual(before);
    expect(await allServe()).toBe(true);
    await systemctl(["start", "archy"]);
    expect(await containers()).toEqual(before);
  };

  it("podman's systemd manager: systemctl restart and stop of archy leave every container alone", async () => {
    await servicesLeaveContainersAlone("systemd");
  });

  it("a reboot brings archy back by systemd, with a recovery report; a stopped app stays stopped", async () => {
    const stop = await archy(["stop", "clock"]);
    expect(stop.exitCode, stop.stderr).toBe(0);
    const t0 = Date.now();
    await box.reboot();
    figures.rebootToBootedMs = Date.now() - t0;
    await waitFor(() => allServe(["web", "greeter"]), {
      timeoutMs: 120_000,
      intervalMs: 100,
      what: "web and greeter to serve after the reboot",
    });
    figures.rebootToServingMs = Date.now() - t0;
    const status = JSON.parse((await archy(["status", "--json"])).stdout) as {
      daemon: { recovery: { after: string; recovered: string[] } | null };
      apps: PsApp[];
    };
    figures.recovery = status.daemon.recovery;
    expect(status.daemon.recovery?.after).toBe("reboot");
    expect(status.apps.find((a) => a.id === "clock")).toMatchObject({
      desired: "stopped",
      phase: "stopped",
    });
    expect(await serves("clock")).toBe(false);
    expect((await archy(["start", "clock"])).exitCode).toBe(0);
    await waitFor(() => serves("clock"), { timeoutMs: 60_000, what: "clock to serve again" });
  });

  it("a frozen daemon (SIGSTOP) is restarted by systemd's watchdog within WatchdogSec + 5 s", async () => {
    const unit = await show("archy.service", ["MainPID", "NRestarts", "WatchdogUSec"]);
    const watchdogMs = parseUsec(unit.WatchdogUSec!);
    const before = await containers();
    await run(["kill", "-STOP", unit.MainPID!]);
    const t0 = Date.now();
    await waitFor(
      async () => {
        const now = await show("archy.service", ["MainPID", "ActiveState"]);
        return now.MainPID !== unit.MainPID && now.MainPID !== "0" && now.ActiveState === "active";
      },
      { timeoutMs: watchdogMs + 15_000, intervalMs: 100, what: "the watchdog restart" },
    );
    const restartMs = Date.now() - t0;
    figures.watchdogRestartMs = restartMs;
    figures.watchdogSecMs = watchdogMs;
    expect(restartMs).toBeLessThan(watchdogMs + 5_000);
    const after = await show("archy.service", ["NRestarts"]);
    expect(Number(after.NRestarts)).toBe(Number(unit.NRestarts) + 1);
    expect(await containers()).toEqual(before);
  });

  it("podman's cgroupfs manager: the same, for containers archy made under it", async () => {
    // The unit passes ARCHY_PODMAN_ARGS on: archy's podman calls use cgroupfs from now on.
    const install = await box.exec(["archy", "service", "install"], {
      reject: false,
      env: { ARCHY_MANIFESTS: MANIFESTS, ARCHY_PODMAN_ARGS: "--cgroup-manager=cgroupfs" },
    });
    expect(install.exitCode, install.stderr).toBe(0);
    await run(["sh", "-c", "podman rm -f -t 0 $(podman ps -aq --filter label=io.archy.app)"]);
    await waitFor(() => allServe(), {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: "the apps again, made under cgroupfs",
    });
    await servicesLeaveContainersAlone("cgroupfs");
  });

  it("archy export quadlet --all into /etc/containers/systemd: the apps serve under systemd alone", async () => {
    const out = await archy(["export", "quadlet", "--all", "--out", "/etc/containers/systemd"]);
    expect(out.exitCode, out.stderr).toBe(0);
    expect((await archy(["service", "uninstall"])).exitCode).toBe(0);
    await run(["sh", "-c", "podman rm -f -t 0 $(podman ps -aq --filter label=io.archy.app)"]);
    await systemctl(["daemon-reload"]);
    await systemctl(["start", ...APPS.map((a) => `archy-${a}.service`)]);
    await waitFor(() => allServe(), {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: "the Quadlet units to serve",
    });
    for (const a of APPS)
      expect((await show(`archy-${a}.service`, ["ActiveState"])).ActiveState).toBe("active");
  });
});
