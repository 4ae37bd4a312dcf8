import { loadExeca } from "./execa.js";
import {
  ContainerNotFoundError,
  PodmanCommandError,
  PodmanTimeoutError,
  PodmanUnavailableError,
} from "./errors.js";

/** How a PodmanRuntime runs podman. */
export interface PodmanRuntimeOptions {
  /** The podman binary; default "podman" on PATH. */
  podmanPath?: string;
  /** Arguments placed before every subcommand, e.g. `["--root", X, "--runroot", Y]`. */
  globalArgs?: string[];
  /** Timeout of ordinary calls in ms; default 30 s. */
  timeoutMs?: number;
  /** Timeout of pulls and builds in ms; default 15 min. */
  longTimeoutMs?: number;
  /** Extra environment for podman (for example CONTAINERS_CONF). */
  env?: Record<string, string>;
  /** Called after every podman process with its argv and duration, for logs and metrics. */
  onCall?: (call: { argv: string[]; durationMs: number; exitCode: number | null }) => void;
}

/** podman's stderr when the container, or the image, does not exist. */
export const NOT_FOUND_CONTAINER =
  /no such container|no container with (name or )?id|no such object/i;
export const NOT_FOUND_IMAGE =
  /image not known|no such image|manifest unknown|name unknown|repository .* not found/i;
/** podman 4.3: `Error: unable to find network with name or ID <name>: network not found`. */
export const NOT_FOUND_NETWORK = /network not found/i;

/**
 * The environment of every podman archy starts: archy's own and the runtime's
 * `env`, without the two variables systemd gives archy's service for archy
 * alone (`undefined` drops a variable that execa's `extendEnv` would copy):
 *
 * - `INVOCATION_ID`: podman takes it to mean "I run as a systemd service" and
 *   leaves conmon in its caller's cgroup instead of moving it to a scope of
 *   its own (`moveConmonToCgroupAndSignal` in podman's
 *   libpod/oci_conmon_linux.go). Each container's conmon would then live in
 *   archy.service's cgroup, be killed when that service stops, and be counted
 *   as the service's.
 * - `NOTIFY_SOCKET`: podman records it for the containers it creates, hands
 *   it to the OCI runtime and, with its default `--sdnotify=container`, binds
 *   it into the container and reports conmon as the MAINPID
 *   (`mountNotifySocket`, libpod/container_internal*.go): under archy's
 *   `NotifyAccess=all` a container could take archy's place as the service's
 *   main process, or declare it ready.
 */
export function podmanEnv(
  env: Readonly<Record<string, string>>,
): Record<string, string | undefined> {
  return { ...env, INVOCATION_ID: undefined, NOTIFY_SOCKET: undefined };
}

/** What every podman process of one runtime is started with. */
export interface PodmanInvocation {
  podmanPath: string;
  /** Placed before every subcommand. */
  globalArgs: readonly string[];
  env: Record<string, string>;
  onCall: PodmanRuntimeOptions["onCall"];
}

export interface RunOptions {
  timeoutMs: number;
  /** Exit codes that are answers rather than failures. */
  okExitCodes?: number[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs one podman process to its end: an argument array (no shell), a
 * timeout, no stdin. A timeout throws PodmanTimeoutError, a podman that
 * cannot be started PodmanUnavailableError, an exit code not in
 * `okExitCodes` PodmanCommandError.
 */
export async function runPodman(
  podman: PodmanInvocation,
  args: string[],
  opts: RunOptions,
): Promise<RunResult> {
  const { timeoutMs } = opts;
  const argv = [...podman.globalArgs, ...args];
  const started = performance.now();
  // reject:false: exits, timeouts and spawn errors come back as a result to classify.
  const execa = await loadExeca();
  const result = await execa(podman.podmanPath, argv, {
    env: podmanEnv(podman.env),
    timeout: timeoutMs,
    forceKillAfterDelay: 2_000,
    reject: false,
    stdin: "ignore",
    // Its own process group: a kill of archy's group (a crashed daemon's, Ctrl-C in a
    // terminal) never cuts podman off half-way through a create, stop or network teardown,
    // which leaves containers held in storage, conmons holding ports, stale firewall rules.
    // archy's own timeout still ends it (SIGTERM, then SIGKILL).
    detached: true,
  });
  podman.onCall?.({
    argv: args,
    durationMs: performance.now() - started,
    exitCode: result.exitCode ?? null,
  });
  if (result.timedOut) throw new PodmanTimeoutError(args, timeoutMs, { cause: result });
  if (result.failed && result.exitCode === undefined) {
    const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
    throw new PodmanUnavailableError(
      podman.podmanPath,
      code === "ENOENT"
        ? "binary not found"
        : ((result.cause as Error | undefined)?.message ?? String(result.shortMessage)),
      { cause: result.cause },
    );
  }
  const exitCode = result.exitCode ?? -1;
  const out = {
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
    exitCode,
  };
  if (exitCode !== 0 && !(opts.okExitCodes ?? []).includes(exitCode)) {
    throw new PodmanCommandError(args, exitCode, out.stderr, { cause: result });
  }
  return out;
}

/** Turns a "no such container" failure into ContainerNotFoundError. */
export async function onContainer<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof PodmanCommandError && NOT_FOUND_CONTAINER.test(error.stderr)) {
      throw new ContainerNotFoundError(name, { cause: error });
    }
    throw error;
  }
}
