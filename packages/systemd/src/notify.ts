import { systemClock, type Clock } from "./clock.js";
import { SystemdError } from "./errors.js";
import { execaRunner, type Runner } from "./runner.js";

export interface NotifierOptions {
  /** The daemon's environment: `NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID`. */
  env: Readonly<Record<string, string | undefined>>;
  /** Runs `systemd-notify`; default `execaRunner`. */
  run?: Runner;
  clock?: Clock;
  /** This process's PID, for `WATCHDOG_PID`; default `process.pid`. */
  pid?: number;
  /** The `systemd-notify` binary; default `systemd-notify` on PATH. */
  notifyPath?: string;
  /** Timeout of one `systemd-notify`, in ms; default 10 s (it waits at most 5 s on its barrier). */
  timeoutMs?: number;
  /** A message that could not be sent (code `ENOTIFY`). Nothing is ever thrown. */
  onError?: (error: SystemdError) => void;
}

/** An sd_notify client for a daemon run by systemd with `Type=notify`. */
export interface Notifier {
  /** `NOTIFY_SOCKET`. */
  readonly socket: string;
  /** `WATCHDOG_USEC` when the manager expects keep-alives from this process, else null. */
  readonly watchdogUsec: number | null;
  /** `READY=1` (with `STATUS=` when given): start-up is complete. */
  ready(status?: string): Promise<void>;
  /** `STATUS=`, shown by `systemctl status`; a text equal to the last one is not sent again. */
  status(text: string): Promise<void>;
  /** `STOPPING=1` (with `STATUS=` when given); stops the keep-alives. */
  stopping(status?: string): Promise<void>;
  /** One `WATCHDOG=1`. */
  watchdog(): Promise<void>;
  /**
   * Keep-alives every half `WATCHDOG_USEC`, from a timer: a process whose
   * event loop is wedged (or that is SIGSTOPped) stops sending them. Before
   * `ready()` each is `EXTEND_TIMEOUT_USEC=` (a slow start-up that is alive is
   * not killed by `TimeoutStartSec=`), after it `WATCHDOG=1`. False (and
   * nothing started) when no watchdog is expected.
   */
  startWatchdog(): boolean;
  stopWatchdog(): void;
  /** Resolves once every message queued so far has been handled. */
  flush(): Promise<void>;
}

/** `WATCHDOG_USEC` when it is meant for `pid` (`WATCHDOG_PID` unset or equal), as sd_watchdog_enabled(3). */
export function watchdogUsecFor(
  env: Readonly<Record<string, string | undefined>>,
  pid: number,
): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isSafeInteger(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && env.WATCHDOG_PID !== String(pid)) return null;
  return usec;
}

/** A status text on one line (the protocol separates fields with newlines). */
const oneLine = (text: string) => text.replace(/[\r\n\0]+/g, " ").trim();

/**
 * The sd_notify client, or null when `NOTIFY_SOCKET` is unset (not run by
 * systemd as `Type=notify`): the caller then does exactly what it did
 * without it. Each message is one `systemd-notify VAR=VALUE...` (see the
 * README for why not a socket of Node's own), sent in order, one at a time.
 */
export function createNotifier(opts: NotifierOptions): Notifier | null {
  const socket = opts.env.NOTIFY_SOCKET;
  if (!socket) return null;
  const run = opts.run ?? execaRunner;
  const clock = opts.clock ?? systemClock;
  const file = opts.notifyPath ?? "systemd-notify";
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const watchdogUsec = watchdogUsecFor(opts.env, opts.pid ?? process.pid);

  let chain: Promise<void> = Promise.resolve();
  let isReady = false;
  let lastStatus: string | null = null;
  let timer: unknown = null;
  let keepAliveQueued = false;

  const fail = (message: string, extra: ConstructorParameters<typeof SystemdError>[2] = {}) =>
    opts.onError?.(new SystemdError("ENOTIFY", message, extra));

  const send = async (fields: string[]): Promise<void> => {
    const command = [file, ...fields];
    try {
      const r = await run({ file, args: fields, timeoutMs, env: { NOTIFY_SOCKET: socket } });
      if (r.spawnError) fail(`${file} could not be started: ${r.spawnError.message}`, { command });
      else if (r.timedOut) fail(`${file} did not finish within ${timeoutMs} ms`, { command });
      else if (r.exitCode !== 0)
        fail(`${file} ${fields.join(" ")} exited with ${r.exitCode}: ${r.stderr.trim()}`, {
          command,
          exitCode: r.exitCode,
          stderr: r.stderr,
        });
    } catch (error) {
      fail(`${file} failed: ${error instanceof Error ? error.message : String(error)}`, {
        command,
        cause: error,
      });
    }
  };
  const enqueue = (fields: string[]): Promise<void> => {
    chain = chain.then(() => send(fields));
    return chain;
  };
  const withStatus = (fields: string[], status: string | undefined) => {
    if (status === undefined) return fields;
    lastStatus = oneLine(status);
    return [...fields, `STATUS=${lastStatus}`];
  };

  const keepAlive = () => {
    // One keep-alive at a time: a slow systemd-notify never piles more up behind it.
    if (keepAliveQueued) return;
    keepAliveQueued = true;
    const field = isReady ? "WATCHDOG=1" : `EXTEND_TIMEOUT_USEC=${watchdogUsec}`;
    void enqueue([field]).finally(() => {
      keepAliveQueued = false;
    });
  };
  const arm = () => {
    timer = clock.setTimeout(
      () => {
        keepAlive();
        arm();
      },
      Math.max(1, Math.floor((watchdogUsec ?? 0) / 2_000)),
    );
  };

  const notifier: Notifier = {
    socket,
    watchdogUsec,
    ready(status) {
      isReady = true;
      return enqueue(withStatus(["READY=1"], status));
    },
    status(text) {
      if (oneLine(text) === lastStatus) return chain;
      return enqueue(withStatus([], text));
    },
    stopping(status) {
      notifier.stopWatchdog();
      return enqueue(withStatus(["STOPPING=1"], status));
    },
    watchdog: () => enqueue(["WATCHDOG=1"]),
    startWatchdog() {
      if (watchdogUsec === null) return false;
      if (timer === null) arm();
      return true;
    },
    stopWatchdog() {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
    flush: () => chain,
  };
  return notifier;
}
