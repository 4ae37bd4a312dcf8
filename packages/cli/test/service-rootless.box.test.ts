// archy as a normal user's service with rootless podman, in a booted box
// (systemd 257 as PID 1, podman 5 with crun and pasta, scripts/hosts/box.sh):
// a user with subuid/subgid ranges and lingering, the examples in its XDG
// folders (host ports >= 1024), `archy service install --user`, then a
// restart, a reboot through linger and a user Quadlet export. What rootless
// cannot do here is in the README's "Rootless" section. Figures go to
// test/artifacts/box-rootless-figures.json.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyExamplesInto, createBox, waitFor, type Box } from "@archy/test-utils";
import { APPS, installArchy, serviceCommands, writeFigures, type PsApp } from "./box-service.js";

const USER = "owner";
const HOME = `/home/${USER}`;
// The CLI's defaults for a user: manifests in $XDG_CONFIG_HOME/archy/apps, state in
// $XDG_STATE_HOME/archy. The examples go to ~/.config/archy so their ../web and
// ../greeter paths resolve beside apps/.
const MANIFESTS = `${HOME}/.config/archy/apps`;
const STATE = `${HOME}/.local/state/archy`;
const figures: Record<string, unknown> = {};

describe("archy as a rootless user service in a booted box", () => {
  let box: Box;
  /** Commands as the user: a login through runuser, so pam_systemd gives XDG_RUNTIME_DIR and the bus. */
  const user = serviceCommands(() => box, { user: USER });
  const { archy, ps, serves, allServe, show, containers } = user;
  const asUser = user.run;
  const userctl = user.systemctl;

  beforeAll(async () => {
    box = await createBox("rootless");
    await installArchy(box);
    await box.boot();
    // Debian 13's useradd gives the new user subuid and subgid ranges (SUB_UID_COUNT 65536).
    await box.exec(["useradd", "--create-home", "--shell", "/bin/bash", USER]);
    for (const file of ["/etc/subuid", "/etc/subgid"])
      expect((await box.exec(["cat", file])).stdout).toMatch(
        new RegExp(`^${USER}:\\d+:65536$`, "m"),
      );
    await copyExamplesInto(box, `${HOME}/.config/archy`.slice(1));
    await box.exec(["chown", "-R", `${USER}:${USER}`, `${HOME}/.config`]);
    // Lingering: the user's manager runs without a login and starts at boot.
    await box.exec(["loginctl", "enable-linger", USER]);
    await waitFor(
      async () => (await asUser(["systemctl", "--user", "is-system-running"])).stdout === "running",
      {
        timeoutMs: 30_000,
        intervalMs: 200,
        what: "the user's service manager",
      },
    );
  }, 600_000);

  afterAll(async () => {
    await writeFigures("box-rootless-figures", figures);
    await box?.destroy();
  });

  it("archy service install --user: a user unit, XDG folders, the socket in the user's state folder, the apps serving", async () => {
    const t0 = Date.now();
    const install = await archy(["service", "install", "--user", "--json"]);
    expect(install.exitCode, install.stderr).toBe(0);
    expect(JSON.parse(install.stdout)).toMatchObject({
      manager: "user",
      path: `${HOME}/.config/systemd/user/archy.service`,
      activeState: "active",
      enabled: true,
      linger: true,
    });
    expect((await ps()).map((a) => a.id).sort()).toEqual([...APPS].sort());
    await waitFor(() => allServe(APPS), {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: "the apps to serve",
    });
    figures.installToServingMs = Date.now() - t0;
    const status = JSON.parse((await archy(["status", "--json"])).stdout) as {
      daemon: {
        stateDir: string;
        manifestsDir: string;
        systemd: { unit: string; manager: string };
      };
    };
    expect(status.daemon).toMatchObject({
      stateDir: STATE,
      manifestsDir: MANIFESTS,
      systemd: { unit: "archy.service", manager: "user" },
    });
    expect((await asUser(["test", "-S", `${STATE}/archy.sock`])).exitCode).toBe(0);
    // The image was built by the daemon as the user, into the user's store only.
    expect(
      (await asUser(["podman", "image", "exists", "localhost/archy-example-web:1.0"])).exitCode,
    ).toBe(0);
    expect(
      (
        await box.exec(["podman", "image", "exists", "localhost/archy-example-web:1.0"], {
          reject: false,
        })
      ).exitCode,
    ).toBe(1);
    expect(
      (await asUser(["podman", "info", "--format", "{{.Host.Security.Rootless}}"])).stdout,
    ).toBe("true");
  });

  it("no container's conmon lives in archy's user-service cgroup (podman's rootlessport does)", async () => {
    const unitCgroup = (await show("archy.service", ["ControlGroup"])).ControlGroup!;
    expect(unitCgroup).toMatch(/^\/user\.slice\/user-\d+\.slice\/user@\d+\.service\//);
    for (const app of APPS) {
      const conmon = (
        await asUser(["podman", "inspect", "-f", "{{.State.ConmonPid}}", `archy-${app}`])
      ).stdout.trim();
      const cgroup = (await box.exec(["cat", `/proc/${conmon}/cgroup`])).stdout;
      expect(cgroup, app).toContain("/libpod-conmon-");
      expect(cgroup, app).not.toContain(unitCgroup);
    }
    // The port forwarders of the apps' published ports stay where podman was run (see the README).
    const comms = await box.exec(
      [
        "sh",
        "-c",
        `for p in $(cat /sys/fs/cgroup${unitCgroup}/cgroup.procs); do cat /proc/$p/comm; done`,
      ],
      { reject: false }, // a process may be gone between the two reads
    );
    figures.rootlessportInArchyCgroup = comms.stdout
      .split("\n")
      .filter((c) => c === "rootlessport").length;
  });

  it("systemctl --user restart archy restarts no container and counts no restart", async () => {
    const before = await containers();
    const psBefore = await ps();
    const t0 = Date.now();
    await userctl(["restart", "archy.service"]);
    figures.serviceRestartMs = Date.now() - t0;
    expect((await show("archy.service", ["ActiveState"])).ActiveState).toBe("active");
    expect(await containers()).toEqual(before);
    expect((await ps()).map((a) => [a.id, a.restarts, a.phase])).toEqual(
      psBefore.map((a) => [a.id, a.restarts, a.phase]),
    );
  });

  // rootlessport, left in archy.service's cgroup, survives the restart (KillMode=process):
  // under KillMode=mixed it was killed and every published port closed.
  it("the apps still serve right after the restart: their port forwarders live on", async () => {
    expect(await allServe(APPS)).toBe(true);
  });

  it("a reboot brings the user's archy back through linger, with a recovery report; a stopped app stays stopped", async () => {
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
    // Serving comes with recovery; READY=1 (active) only after the first pass.
    await waitFor(
      async () => (await show("archy.service", ["ActiveState"])).ActiveState === "active",
      {
        timeoutMs: 90_000,
        intervalMs: 100,
        what: "the user's archy.service to be active after the reboot",
      },
    );
    figures.rebootToActiveMs = Date.now() - t0;
    expect((await show("archy.service", ["UnitFileState"])).UnitFileState).toBe("enabled");
    const status = JSON.parse((await archy(["status", "--json"])).stdout) as {
      daemon: { recovery: { after: string; recovered: string[] } | null };
      apps: PsApp[];
    };
    figures.recovery = status.daemon.recovery;
    expect(status.daemon.recovery?.after).toBe("reboot");
    expect(status.daemon.recovery?.recovered.sort()).toEqual(["archy-greeter", "archy-web"]);
    expect(status.apps.find((a) => a.id === "clock")).toMatchObject({
      desired: "stopped",
      phase: "stopped",
    });
    expect(await serves("clock")).toBe(false);
    expect((await archy(["start", "clock"])).exitCode).toBe(0);
    await waitFor(() => serves("clock"), { timeoutMs: 60_000, what: "clock to serve again" });
  });

  it("archy export quadlet --all into ~/.config/containers/systemd: the apps serve under the user's systemd alone", async () => {
    const out = await archy([
      "export",
      "quadlet",
      "--all",
      "--out",
      `${HOME}/.config/containers/systemd`,
    ]);
    expect(out.exitCode, out.stderr).toBe(0);
    expect((await archy(["service", "uninstall", "--user"])).exitCode).toBe(0);
    await asUser(["sh", "-c", "podman rm -f -t 0 $(podman ps -aq --filter label=io.archy.app)"]);
    // A user Quadlet unit waits for the system's network-online.target (podman's
    // podman-user-wait-network-online.service, 90 s at most); the box has no network manager
    // to reach it, so root starts the target by hand, as a server's wait-online service would.
    await box.exec(["systemctl", "start", "network-online.target"]);
    await userctl(["daemon-reload"]);
    const t0 = Date.now();
    await userctl(["start", ...APPS.map((a) => `archy-${a}.service`)]);
    await waitFor(() => allServe(APPS), {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: "the Quadlet units to serve",
    });
    figures.quadletStartToServingMs = Date.now() - t0;
    for (const a of APPS)
      expect((await show(`archy-${a}.service`, ["ActiveState"])).ActiveState).toBe("active");
  });
});
