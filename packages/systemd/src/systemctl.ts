import { stat } from "node:fs/promises";
import { join } from "node:path";
import { SystemdError } from "./errors.js";
import { execaRunner, type RunResult, type Runner } from "./runner.js";

export interface SystemctlOptions {
  /** `systemctl --user`: the calling user's manager. */
  user?: boolean;
  /** Runs systemctl; default `execaRunner`. */
  run?: Runner;
  /** Default `systemctl` on PATH. */
  systemctlPath?: string;
  /** Timeout of queries and `daemon-reload`, in ms; default 30 s. */
  timeoutMs?: number;
  /**
   * Timeout of the calls that wait for a job (`enable --now` waits for
   * READY=1, a stop for the daemon's pass in flight), in ms; default 20 min.
   */
  jobTimeoutMs?: number;
}

/** The properties `show` asks for. */
export const SHOW_PROPERTIES = [
  "LoadState",
  "ActiveState",
  "SubState",
  "UnitFileState",
  "MainPID",
  "NRestarts",
  "InvocationID",
  "FragmentPath",
  "NeedDaemonReload",
  "Result",
] as const;

/** A unit as `systemctl show` describes it. Absent or empty values are null. */
export interface UnitState {
  /** `loaded`, `not-found`, ... */
  loadState: string | null;
  /** `active`, `activating`, `inactive`, `failed`, ... */
  activeState: string | null;
  /** `running`, `start`, `dead`, ... */
  subState: string | null;
  /** `enabled`, `disabled`, `static`, ... */
  unitFileState: string | null;
  /** The main process; null when none runs (systemd says 0). */
  mainPid: number | null;
  /** Automatic restarts since the unit was last started by hand. */
  restarts: number | null;
  invocationId: string | null;
  fragmentPath: string | null;
  /** The unit file changed on disk since the manager last loaded it. */
  needDaemonReload: boolean;
  /** `success`, `watchdog`, `exit-code`, ... */
  result: string | null;
}

/** `Key=Value` lines of `systemctl show` into a record (the first `=` splits). */
export function parseShow(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** The typed view of `parseShow`'s record. */
export function unitStateOf(props: Record<string, string>): UnitState {
  const text = (k: string) => (props[k] ? props[k] : null);
  const int = (k: string) => {
    const n = Number(props[k]);
    return props[k] !== undefined && props[k] !== "" && Number.isSafeInteger(n) ? n : null;
  };
  const pid = int("MainPID");
  return {
    loadState: text("LoadState"),
    activeState: text("ActiveState"),
    subState: text("SubState"),
    unitFileState: text("UnitFileState"),
    mainPid: pid !== null && pid > 0 ? pid : null,
    restarts: int("NRestarts"),
    invocationId: text("InvocationID"),
    fragmentPath: text("FragmentPath"),
    needDaemonReload: props.NeedDaemonReload === "yes",
    result: text("Result"),
  };
}

/** Whether systemd is the running init system: `/run/systemd/system` is a folder (as sd_booted(3)). */
export async function isSystemdRunning(root = "/"): Promise<boolean> {
  const st = await stat(join(root, "run/systemd/system")).catch(() => null);
  return st?.isDirectory() === true;
}

/** Throws `ENOSYSTEMD` unless systemd is the running init system. */
export async function assertSystemdRunning(root = "/"): Promise<void> {
  if (!(await isSystemdRunning(root)))
    throw new SystemdError(
      "ENOSYSTEMD",
      "systemd is not running on this host (no /run/systemd/system): run `archy daemon` under the init system there is",
    );
}

/** systemctl's words for a manager it cannot reach. */
const NO_MANAGER =
  /Failed to connect to (user scope )?bus|Failed to get D-Bus connection|No medium found/i;
const NOT_BOOTED = /System has not been booted with systemd|Host is down/i;

/** A thin wrapper of `systemctl [--user]`: argument arrays, timeouts, typed errors. */
export class Systemctl {
  readonly user: boolean;
  private readonly run: Runner;
  private readonly file: string;
  private readonly timeoutMs: number;
  private readonly jobTimeoutMs: number;

  constructor(opts: SystemctlOptions = {}) {
    this.user = opts.user ?? false;
    this.run = opts.run ?? execaRunner;
    this.file = opts.systemctlPath ?? "systemctl";
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.jobTimeoutMs = opts.jobTimeoutMs ?? 20 * 60_000;
  }

  daemonReload(): Promise<RunResult> {
    return this.call(["daemon-reload"]);
  }

  /** Enables the unit and starts it; with `Type=notify` it waits for READY=1. */
  enableNow(unit: string): Promise<RunResult> {
    return this.call(["enable", "--now", unit], { job: true });
  }

  /** Stops the unit and disables it. */
  disableNow(unit: string): Promise<RunResult> {
    return this.call(["disable", "--now", unit], { job: true });
  }

  /** Restarts the unit if it runs; nothing otherwise. */
  tryRestart(unit: string): Promise<RunResult> {
    return this.call(["try-restart", unit], { job: true });
  }

  resetFailed(unit: string): Promise<RunResult> {
    return this.call(["reset-failed", unit]);
  }

  /** `enabled`, `disabled`, `static`, `not-found`, ... (its exit code is an answer). */
  async isEnabled(unit: string): Promise<string> {
    const r = await this.call(["is-enabled", unit], { answers: true });
    return r.stdout.trim() || "not-found";
  }

  /** `active`, `inactive`, `failed`, `activating`, ... (its exit code is an answer). */
  async isActive(unit: string): Promise<string> {
    const r = await this.call(["is-active", unit], { answers: true });
    return r.stdout.trim() || "unknown";
  }

  /** `show --property=...`: the unit's state (a unit that does not exist is `loadState: "not-found"`). */
  async show(unit: string): Promise<UnitState> {
    const r = await this.call(["show", `--property=${SHOW_PROPERTIES.join(",")}`, unit]);
    return unitStateOf(parseShow(r.stdout));
  }

  /** The argv of a call, as run. */
  argv(args: readonly string[]): string[] {
    return [this.file, ...(this.user ? ["--user"] : []), "--no-ask-password", ...args];
  }

  private async call(
    args: readonly string[],
    opts: { job?: boolean; answers?: boolean } = {},
  ): Promise<RunResult> {
    const [file, ...argv] = this.argv(args);
    const command = [file!, ...argv];
    const timeoutMs = opts.job ? this.jobTimeoutMs : this.timeoutMs;
    const r = await this.run({ file: file!, args: argv, timeoutMs });
    const detail = r.stderr.trim();
    if (r.spawnError)
      throw new SystemdError(
        r.spawnError.code === "ENOENT" ? "ENOSYSTEMD" : "ESYSTEMCTL",
        `${file} could not be started: ${r.spawnError.message}`,
        { command, cause: r.spawnError },
      );
    if (r.timedOut)
      throw new SystemdError(
        "ESYSTEMCTLTIMEOUT",
        `\`${command.join(" ")}\` did not finish within ${Math.round(timeoutMs / 1000)} s`,
        { command },
      );
    if (r.exitCode === 0 || (opts.answers && r.stdout.trim() !== "")) return r;
    const extra = { command, exitCode: r.exitCode, stderr: r.stderr };
    if (NOT_BOOTED.test(detail))
      throw new SystemdError("ENOSYSTEMD", `systemd is not running: ${detail}`, extra);
    if (NO_MANAGER.test(detail))
      throw new SystemdError(
        "ENOMANAGER",
        `${this.user ? "the user's service manager" : "the service manager"} cannot be reached: ${detail}`,
        extra,
      );
    throw new SystemdError(
      "ESYSTEMCTL",
      `\`${command.join(" ")}\` failed (exit ${r.exitCode}): ${detail || "no message"}`,
      extra,
    );
  }
}
