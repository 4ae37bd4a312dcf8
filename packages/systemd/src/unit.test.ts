import { describe, expect, it } from "vitest";
import { splitWords } from "./quote.js";
import { readUnitOptions, renderServiceUnit, unitPath, type ServiceUnitOptions } from "./unit.js";

const base: ServiceUnitOptions = {
  mode: "system",
  nodePath: "/usr/bin/node",
  archyBin: "/usr/lib/node_modules/@archy/cli/bin/archy.js",
  stateDir: "/var/lib/archy",
  manifestsDir: "/etc/archy/apps",
};

/** The values of `key=` lines in a section. */
function values(unit: string, section: string, key: string): string[] {
  const out: string[] = [];
  let current = "";
  for (const line of unit.split("\n")) {
    if (/^\[.*\]$/.test(line)) current = line;
    else if (current === `[${section}]` && line.startsWith(`${key}=`))
      out.push(line.slice(key.length + 1));
  }
  return out;
}

describe("renderServiceUnit", () => {
  it("the system unit as root gets it", () => {
    expect(renderServiceUnit(base)).toMatchInlineSnapshot(`
      "# Written by archy service install: changes here are replaced by the next install.
      [Unit]
      Description=archy: desired-state supervisor for podman containers
      Wants=network-online.target
      After=network-online.target podman-restart.service
      RequiresMountsFor=/var/lib/archy /etc/archy/apps
      StartLimitIntervalSec=300s
      StartLimitBurst=10

      [Service]
      Type=notify
      NotifyAccess=all
      ExecStart=/usr/bin/node /usr/lib/node_modules/@archy/cli/bin/archy.js daemon --interval 30s
      Environment=ARCHY_STATE_DIR=/var/lib/archy
      Environment=ARCHY_MANIFESTS=/etc/archy/apps
      SyslogIdentifier=archy
      Restart=always
      RestartSec=2s
      RestartPreventExitStatus=2 3
      WatchdogSec=30s
      TimeoutStartSec=90s
      TimeoutStopSec=960s
      KillMode=process

      [Install]
      WantedBy=multi-user.target
      "
    `);
  });

  it("the properties the service relies on", () => {
    const unit = renderServiceUnit(base);
    expect(values(unit, "Service", "Type")).toEqual(["notify"]);
    expect(values(unit, "Service", "NotifyAccess")).toEqual(["all"]);
    expect(values(unit, "Service", "Restart")).toEqual(["always"]);
    expect(values(unit, "Service", "RestartPreventExitStatus")).toEqual(["2 3"]);
    expect(values(unit, "Service", "KillMode")).toEqual(["process"]);
    expect(values(unit, "Unit", "StartLimitBurst")).toEqual(["10"]);
    expect(values(unit, "Service", "StartLimitBurst")).toEqual([]); // [Unit] only since systemd 230
  });

  it("user mode: default.target, and no system-only network targets", () => {
    const unit = renderServiceUnit({ ...base, mode: "user" });
    expect(values(unit, "Install", "WantedBy")).toEqual(["default.target"]);
    expect(values(unit, "Unit", "Wants")).toEqual([]);
    expect(values(unit, "Unit", "After")).toEqual(["podman-restart.service"]);
  });

  it("options: --http, --interval, the watchdog and the limits", () => {
    const unit = renderServiceUnit({
      ...base,
      interval: "1m",
      http: "127.0.0.1:7777",
      watchdogSec: 10,
      restartSec: 3,
      startLimitIntervalSec: 60,
      startLimitBurst: 3,
      timeoutStopSec: 120,
      writtenBy: "Written by archy 1.2.3 (100%)",
    });
    expect(values(unit, "Service", "ExecStart")).toEqual([
      "/usr/bin/node /usr/lib/node_modules/@archy/cli/bin/archy.js daemon --interval 1m --http 127.0.0.1:7777",
    ]);
    expect(values(unit, "Service", "WatchdogSec")).toEqual(["10s"]);
    expect(values(unit, "Service", "RestartSec")).toEqual(["3s"]);
    expect(values(unit, "Service", "TimeoutStopSec")).toEqual(["120s"]);
    expect(values(unit, "Unit", "StartLimitIntervalSec")).toEqual(["60s"]);
    expect(values(unit, "Unit", "StartLimitBurst")).toEqual(["3"]);
    expect(unit.split("\n")[0]).toBe(
      "# Written by archy 1.2.3 (100%%): changes here are replaced by the next install.",
    );
    expect(() => renderServiceUnit({ ...base, watchdogSec: 1.5 })).toThrow(/WatchdogSec/);
  });

  it("every value quoted as systemd reads it: spaces, quotes, backslashes, %, $", () => {
    const state = '/srv/my "state" 100% $HOME\\x';
    const unit = renderServiceUnit({
      ...base,
      archyBin: "/opt/my apps/archy.js",
      stateDir: state,
      manifestsDir: "/etc/archy/apps",
      environment: { ARCHY_PODMAN_ARGS: "--root /a --runroot /b", CONTAINERS_CONF: "/etc/c%.conf" },
    });
    const [exec] = values(unit, "Service", "ExecStart");
    expect(splitWords(exec!, { exec: true })).toEqual([
      "/usr/bin/node",
      "/opt/my apps/archy.js",
      "daemon",
      "--interval",
      "30s",
    ]);
    expect(values(unit, "Service", "Environment").map((v) => splitWords(v))).toEqual([
      [`ARCHY_STATE_DIR=${state}`],
      ["ARCHY_MANIFESTS=/etc/archy/apps"],
      ["ARCHY_PODMAN_ARGS=--root /a --runroot /b"],
      ["CONTAINERS_CONF=/etc/c%.conf"],
    ]);
    expect(splitWords(values(unit, "Unit", "RequiresMountsFor")[0]!)).toEqual([
      state,
      "/etc/archy/apps",
    ]);
  });

  it("refuses a relative folder and a newline", () => {
    expect(() => renderServiceUnit({ ...base, stateDir: "state" })).toThrow(/absolute/);
    expect(() => renderServiceUnit({ ...base, http: "a\nb" })).toThrow(/newline/);
  });
});

describe("readUnitOptions", () => {
  it("reads --interval and --http back from ExecStart=", () => {
    const unit = renderServiceUnit({ ...base, interval: "45s", http: "[::1]:80" });
    expect(readUnitOptions(unit)).toEqual({ interval: "45s", http: "[::1]:80" });
    expect(readUnitOptions(renderServiceUnit(base))).toEqual({ interval: "30s", http: null });
    expect(readUnitOptions("[Service]\nType=simple\n")).toEqual({ interval: null, http: null });
  });
});

describe("unitPath", () => {
  it("/etc/systemd/system for the system, XDG_CONFIG_HOME or ~/.config for the user", () => {
    expect(unitPath("system", {})).toBe("/etc/systemd/system/archy.service");
    expect(unitPath("user", { XDG_CONFIG_HOME: "/c" })).toBe("/c/systemd/user/archy.service");
    expect(unitPath("user", { HOME: "/home/u" })).toBe(
      "/home/u/.config/systemd/user/archy.service",
    );
  });
});
