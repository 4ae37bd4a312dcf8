import { homedir } from "node:os";
import { join } from "node:path";
import { SystemdError } from "./errors.js";
import {
  environmentAssignment,
  escapeSpecifiers,
  execLine,
  pathList,
  splitWords,
} from "./quote.js";

/** The service manager a unit is written for: the system's (as root) or the user's (`--user`). */
export type ManagerMode = "system" | "user";

export const UNIT_NAME = "archy.service";

/** The environment variables a unit passes to the daemon when they are set (podman's settings). */
export const PASSED_ENVIRONMENT = [
  "ARCHY_PODMAN",
  "ARCHY_PODMAN_ARGS",
  "ARCHY_PODMAN_TIMEOUT_MS",
  "CONTAINERS_CONF",
] as const;

export interface ServiceUnitOptions {
  mode: ManagerMode;
  /** Absolute path of the node binary (`process.execPath`). */
  nodePath: string;
  /** Absolute path of the archy program (`.../@archy/cli/bin/archy.js`). */
  archyBin: string;
  /** The daemon's `--interval` as given (`30s`); default `30s`. */
  interval?: string;
  /** The daemon's `--http` address, if any. */
  http?: string;
  /** Absolute state and manifests folders: `ARCHY_STATE_DIR`, `ARCHY_MANIFESTS`, `RequiresMountsFor=`. */
  stateDir: string;
  manifestsDir: string;
  /** More `Environment=` lines, in order (`PASSED_ENVIRONMENT` the CLI found set). */
  environment?: Readonly<Record<string, string>>;
  /** `WatchdogSec=` in seconds; default 30. */
  watchdogSec?: number;
  /** `RestartSec=` in seconds; default 2. */
  restartSec?: number;
  /** `StartLimitIntervalSec=` / `StartLimitBurst=`; default 10 starts in 300 s. */
  startLimitIntervalSec?: number;
  startLimitBurst?: number;
  /** `TimeoutStopSec=` in seconds; default 960 (16 min, see the README). */
  timeoutStopSec?: number;
  /** The first comment line, for example the archy version that wrote the unit. */
  writtenBy?: string;
}

/** The options an installed unit was written with, as `readUnitOptions` finds them. */
export interface InstalledUnitOptions {
  interval: string | null;
  http: string | null;
}

/**
 * Where the unit goes: `/etc/systemd/system/archy.service` for the system
 * manager, `$XDG_CONFIG_HOME/systemd/user/archy.service` (default
 * `~/.config/systemd/user`) for the user's.
 */
export function unitPath(mode: ManagerMode, env: NodeJS.ProcessEnv = process.env): string {
  if (mode === "system") return join("/etc/systemd/system", UNIT_NAME);
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(config, "systemd", "user", UNIT_NAME);
}

const seconds = (n: number, what: string) => {
  if (!Number.isInteger(n) || n < 0) throw new SystemdError("EUNITVALUE", `${what}: ${n}`);
  return `${n}s`;
};

/**
 * The archy.service unit. `Type=notify` with `NotifyAccess=all` (the daemon
 * notifies through `systemd-notify`, a child of it), a watchdog, restarts
 * except after exit 2 (bad input) and 3 (another archy holds the state
 * folder), `KillMode=process` (signals to archy alone: it finishes the pass in
 * flight and exits; what podman left in this cgroup lives on), ordered after the
 * network and podman's start-up units. Every value quoted as systemd reads it.
 */
export function renderServiceUnit(o: ServiceUnitOptions): string {
  const system = o.mode === "system";
  const args = [o.nodePath, o.archyBin, "daemon", "--interval", o.interval ?? "30s"];
  if (o.http !== undefined) args.push("--http", o.http);
  const env: [string, string][] = [
    ["ARCHY_STATE_DIR", o.stateDir],
    ["ARCHY_MANIFESTS", o.manifestsDir],
    ...Object.entries(o.environment ?? {}),
  ];
  const lines = [
    `# ${escapeSpecifiers(o.writtenBy ?? "Written by archy service install")}: changes here are replaced by the next install.`,
    "[Unit]",
    "Description=archy: desired-state supervisor for podman containers",
    ...(system
      ? [
          "Wants=network-online.target",
          // podman-restart.service starts the containers of restart policy "always" at boot:
          // archy's recovery comes after it rather than racing it.
          "After=network-online.target podman-restart.service",
        ]
      : ["After=podman-restart.service"]),
    `RequiresMountsFor=${pathList([o.stateDir, o.manifestsDir])}`,
    `StartLimitIntervalSec=${seconds(o.startLimitIntervalSec ?? 300, "StartLimitIntervalSec")}`,
    `StartLimitBurst=${o.startLimitBurst ?? 10}`,
    "",
    "[Service]",
    "Type=notify",
    // The daemon notifies through systemd-notify, a child of it: see @archy/systemd's README.
    "NotifyAccess=all",
    `ExecStart=${execLine(args)}`,
    ...env.map(([name, value]) => `Environment=${environmentAssignment(name, value)}`),
    "SyslogIdentifier=archy",
    "Restart=always",
    `RestartSec=${seconds(o.restartSec ?? 2, "RestartSec")}`,
    // 2: bad input (a snapshot of a newer archy, a bad --http); 3: another archy holds the state folder.
    "RestartPreventExitStatus=2 3",
    `WatchdogSec=${seconds(o.watchdogSec ?? 30, "WatchdogSec")}`,
    // Start-up (recovery, the first pass) is extended by the daemon's keep-alives while it is alive.
    "TimeoutStartSec=90s",
    `TimeoutStopSec=${seconds(o.timeoutStopSec ?? 960, "TimeoutStopSec")}`,
    // Signals to archy alone (SIGTERM: it finishes the pass in flight, then exits 0), never to a
    // podman call in flight, nor to what podman leaves in this cgroup: conmon under the cgroupfs
    // manager, rootless podman's port forwarders (rootlessport). See the README.
    "KillMode=process",
    "",
    "[Install]",
    `WantedBy=${system ? "multi-user.target" : "default.target"}`,
    "",
  ];
  return lines.join("\n");
}

/**
 * The `--interval` and `--http` an installed unit's `ExecStart=` gives the
 * daemon (null when absent, or when the unit has no archy ExecStart).
 */
export function readUnitOptions(unitText: string): InstalledUnitOptions {
  const line = unitText.split("\n").find((l) => l.startsWith("ExecStart="));
  const words = line ? splitWords(line.slice("ExecStart=".length), { exec: true }) : [];
  const after = (flag: string) => {
    const i = words.indexOf(flag);
    return i >= 0 ? (words[i + 1] ?? null) : null;
  };
  return { interval: after("--interval"), http: after("--http") };
}
