import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDuration } from "@archy/reconciler";
import {
  assertSystemdRunning,
  installService,
  isSystemdRunning,
  lingerEnabled,
  PASSED_ENVIRONMENT,
  renderServiceUnit,
  serviceStatus,
  Systemctl,
  UNIT_NAME,
  uninstallService,
  unitPath,
  type InstalledUnitOptions,
  type ManagerMode,
  type ServiceStatus,
  type UnitState,
} from "@archy/systemd";
import { CliError, EXIT } from "../cli-error.js";
import { DaemonClient } from "../client.js";
import type { Context } from "../context.js";
import { parseHttpAddress } from "../daemon/http-address.js";

export interface ServiceOptions {
  user?: boolean;
  http?: string;
  interval?: string;
}

/** What the service commands take from the machine; tests pass their own. */
export interface ServiceSystem {
  env: NodeJS.ProcessEnv;
  /** Where `/run/systemd/system` and `/var/lib/systemd/linger` are looked for. */
  root: string;
  isRoot: boolean;
  userName: string;
  nodePath: string;
  archyBin: string;
  unitPath(mode: ManagerMode): string;
  systemctl(mode: ManagerMode): Systemctl;
}

/** bin/archy.js of the @archy/cli package this module belongs to (source, library or program). */
export function archyBinPath(from = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "@archy/cli"
    )
      return join(dir, "bin", "archy.js");
  }
  // Not inside its package (a bundle copied elsewhere): the program this process runs.
  return process.argv[1] ?? from;
}

export function machine(): ServiceSystem {
  return {
    env: process.env,
    root: "/",
    isRoot: typeof process.getuid === "function" && process.getuid() === 0,
    userName: userInfo().username,
    nodePath: process.execPath,
    archyBin: archyBinPath(),
    unitPath: (mode) => unitPath(mode, process.env),
    systemctl: (mode) => new Systemctl({ user: mode === "user" }),
  };
}

/** The unit `archy service install` writes for `ctx` now. */
export function unitFor(
  ctx: Context,
  sys: ServiceSystem,
  mode: ManagerMode,
  o: InstalledUnitOptions,
) {
  const environment: Record<string, string> = {};
  for (const name of PASSED_ENVIRONMENT) if (sys.env[name]) environment[name] = sys.env[name];
  return renderServiceUnit({
    mode,
    nodePath: sys.nodePath,
    archyBin: sys.archyBin,
    interval: o.interval ?? "30s",
    ...(o.http ? { http: o.http } : {}),
    stateDir: ctx.stateDir,
    manifestsDir: ctx.manifestsDir,
    environment,
  });
}

/** The manager's view of the unit, with stable field names (the CLI README's). */
function stateView(s: UnitState) {
  return {
    enabled: s.unitFileState === "enabled",
    unitFileState: s.unitFileState,
    activeState: s.activeState,
    subState: s.subState,
    mainPid: s.mainPid,
    restarts: s.restarts,
    invocationId: s.invocationId,
    result: s.result,
  };
}
const describeState = (s: UnitState) =>
  `${s.unitFileState ?? "not installed"}, ${s.activeState ?? "unknown"}${s.subState ? ` (${s.subState})` : ""}${s.mainPid ? `, main PID ${s.mainPid}` : ""}${s.restarts ? `, ${s.restarts} restarts` : ""}`;

function checkOptions(o: ServiceOptions): InstalledUnitOptions {
  const interval = o.interval ?? "30s";
  const ms = parseDuration(interval);
  if (ms === null || ms < 1_000 || ms > 24 * 3_600_000)
    throw new CliError(
      `invalid --interval ${interval}: expected a duration from 1s to 24h, such as 30s or 5m`,
      EXIT.usage,
    );
  if (o.http !== undefined) parseHttpAddress(o.http);
  return { interval, http: o.http ?? null };
}

const flag = (mode: ManagerMode) => (mode === "user" ? " --user" : "");

/** `archy service install [--user] [--http ADDR] [--interval D]`. */
export async function install(ctx: Context, o: ServiceOptions, sys = machine()): Promise<number> {
  const mode: ManagerMode = o.user ? "user" : "system";
  if (mode === "system" && !sys.isRoot)
    throw new CliError(
      "the system service is installed as root; `archy service install --user` installs it in your own user's service manager",
      EXIT.usage,
    );
  const options = checkOptions(o);
  await assertSystemdRunning(sys.root); // ENOSYSTEMD: exit 2
  // A daemon started by hand holds the state folder: the service's would exit 3 at once.
  const running = await DaemonClient.get<{ pid: number; systemd?: { unit: string | null } | null }>(
    ctx.socketPath,
    "/v1/daemon",
  );
  if (running && running.body.systemd?.unit !== UNIT_NAME)
    throw new CliError(
      `an archy daemon (PID ${running.body.pid}) already runs on ${ctx.stateDir} outside the service: stop it (its containers keep running), then install again`,
      EXIT.locked,
    );
  const path = sys.unitPath(mode);
  const r = await installService(
    { path, systemctl: sys.systemctl(mode) },
    unitFor(ctx, sys, mode, options),
  );
  const linger = mode === "user" ? await lingerEnabled(sys.userName, sys.root) : null;
  if (ctx.json) {
    ctx.out.document({
      unit: UNIT_NAME,
      manager: mode,
      path,
      changed: r.changed,
      reloaded: r.reloaded,
      restarted: r.restarted,
      ...stateView(r.state),
      linger,
    });
    return EXIT.ok;
  }
  ctx.out.line(
    `${UNIT_NAME}: ${r.changed ? "written to" : "unchanged in"} ${path}${r.restarted ? "; restarted with it (containers kept running)" : ""}`,
  );
  ctx.out.line(`${UNIT_NAME}: ${describeState(r.state)}`);
  if (mode === "user")
    ctx.out.info(
      linger
        ? `lingering is on for ${sys.userName}: the service starts at boot and runs without a login`
        : `the service runs only while ${sys.userName} is logged in; to start it at boot: loginctl enable-linger ${sys.userName} (as root: sudo loginctl enable-linger ${sys.userName})`,
    );
  return EXIT.ok;
}

/** `archy service uninstall [--user]`. */
export async function uninstall(ctx: Context, o: ServiceOptions, sys = machine()): Promise<number> {
  const mode: ManagerMode = o.user ? "user" : "system";
  await assertSystemdRunning(sys.root);
  const path = sys.unitPath(mode);
  const r = await uninstallService({ path, systemctl: sys.systemctl(mode) });
  if (ctx.json) {
    ctx.out.document({
      unit: UNIT_NAME,
      manager: mode,
      path,
      removed: r.removed,
      stopped: r.stopped,
      containersKeepRunning: true,
    });
    return EXIT.ok;
  }
  if (!r.removed && !r.stopped) ctx.out.line(`${UNIT_NAME}: not installed${flag(mode)}`);
  else
    ctx.out.line(
      `${UNIT_NAME}: ${r.stopped ? "stopped, " : ""}disabled${r.removed ? `, ${path} removed` : ""}`,
    );
  ctx.out.info("the containers keep running; `archy daemon` supervises them again when started");
  return EXIT.ok;
}

/** The service of `mode`, as `archy service status` and `archy doctor` see it; null without systemd. */
export async function inspect(ctx: Context, mode: ManagerMode, sys = machine()) {
  if (!(await isSystemdRunning(sys.root))) return null;
  return serviceStatus({ path: sys.unitPath(mode), systemctl: sys.systemctl(mode) }, (o) =>
    unitFor(ctx, sys, mode, o),
  );
}

/** `archy service status [--user]`. */
export async function status(ctx: Context, o: ServiceOptions, sys = machine()): Promise<number> {
  const mode: ManagerMode = o.user ? "user" : "system";
  const s: ServiceStatus | null = await inspect(ctx, mode, sys);
  const linger = mode === "user" ? await lingerEnabled(sys.userName, sys.root) : null;
  if (ctx.json) {
    ctx.out.document({
      unit: UNIT_NAME,
      manager: mode,
      path: sys.unitPath(mode),
      systemd: s !== null,
      installed: s ? s.installed : existsSync(sys.unitPath(mode)),
      upToDate: s?.upToDate ?? null,
      options: s?.options ?? null,
      ...(s ? stateView(s.state) : {}),
      linger,
    });
    return EXIT.ok;
  }
  if (!s) {
    ctx.out.line(`${UNIT_NAME}: systemd is not running on this host`);
    return EXIT.ok;
  }
  ctx.out.line(
    `${UNIT_NAME}: ${s.installed ? `installed in ${s.path}` : `not installed (\`archy service install${flag(mode)}\`)`}`,
  );
  if (s.installed || s.state.loadState !== "not-found")
    ctx.out.line(`${UNIT_NAME}: ${describeState(s.state)}`);
  if (s.upToDate === false)
    ctx.out.line(
      `${UNIT_NAME}: the file differs from what \`archy service install${flag(mode)}\` writes now; run it again to update it`,
    );
  if (linger !== null) ctx.out.line(`linger: ${linger ? "on" : "off"} for ${sys.userName}`);
  return EXIT.ok;
}

/** What `GET /v1/daemon` says of the daemon's service identity. */
export interface DaemonIdentity {
  pid: number;
  systemd?: { invocationId: string; unit: string | null } | null;
}

/** `archy doctor`'s "service" check: never a failure (hosts without systemd are fine). */
export async function serviceCheck(
  ctx: Context,
  daemon: DaemonIdentity | null,
  sys = machine(),
): Promise<{ status: "ok" | "warn"; detail: string }> {
  const mode: ManagerMode = sys.isRoot ? "system" : "user";
  let s: ServiceStatus | null;
  try {
    s = await inspect(ctx, mode, sys);
  } catch (error) {
    return { status: "warn", detail: `systemd cannot be asked: ${(error as Error).message}` };
  }
  if (!s)
    return { status: "ok", detail: "systemd is not running on this host; no service to check" };
  if (!s.installed && s.state.loadState === "not-found")
    return {
      status: "warn",
      detail: `not installed: \`archy service install${flag(mode)}\` runs the daemon under systemd (started at boot, restarted when it fails)`,
    };
  const problems: string[] = [];
  const st = s.state;
  if (st.unitFileState !== "enabled") problems.push("not enabled: it does not start at boot");
  if (st.activeState !== "active")
    problems.push(`not running (${st.activeState ?? "?"}, result ${st.result ?? "?"})`);
  const ours =
    daemon &&
    (daemon.pid === st.mainPid ||
      (st.invocationId !== null && daemon.systemd?.invocationId === st.invocationId));
  if (daemon && !ours)
    problems.push(
      `the daemon answering on ${ctx.socketPath} (PID ${daemon.pid}) runs outside ${UNIT_NAME}: stop it and \`systemctl${flag(mode)} start ${UNIT_NAME}\``,
    );
  if (s.upToDate === false)
    problems.push(
      `the unit file differs from what \`archy service install${flag(mode)}\` writes now`,
    );
  return {
    status: problems.length ? "warn" : "ok",
    detail: `${s.path}: ${describeState(st)}${problems.length ? `; ${problems.join("; ")}` : ""}`,
  };
}
