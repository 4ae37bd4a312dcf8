import type { execa as Execa } from "execa";

/** One process to run to its end: an argument array (no shell), a timeout, no stdin. */
export interface RunRequest {
  file: string;
  args: readonly string[];
  timeoutMs: number;
  /** Added to (or, `undefined`, removed from) the parent's environment. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface RunResult {
  /** null when the process did not exit by itself (killed, timed out, never started). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The process could not be started (ENOENT, EACCES): its error. */
  spawnError: (Error & { code?: string }) | null;
}

/**
 * How this package runs `systemctl` and `systemd-notify`. Never rejects: a
 * failure to start, a timeout and an exit code all come back in the result.
 * Pass a fake in tests; `execaRunner` is the real one.
 */
export type Runner = (request: RunRequest) => Promise<RunResult>;

let loading: Promise<typeof Execa> | null = null;

/** execa, imported on first use (it takes about 0.1 s to load). */
function loadExeca(): Promise<typeof Execa> {
  loading ??= import("execa").then((m) => m.execa);
  return loading;
}

/** The real runner: execa with `reject: false`, SIGTERM at the timeout and SIGKILL 2 s later. */
export const execaRunner: Runner = async ({ file, args, timeoutMs, env }) => {
  const execa = await loadExeca();
  const result = await execa(file, [...args], {
    timeout: timeoutMs,
    forceKillAfterDelay: 2_000,
    reject: false,
    stdin: "ignore",
    ...(env ? { env } : {}),
  });
  const spawnError =
    result.failed && result.exitCode === undefined && !result.timedOut && !result.isTerminated
      ? ((result.cause as (Error & { code?: string }) | undefined) ??
        new Error(result.shortMessage))
      : null;
  return {
    exitCode: result.exitCode ?? null,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
    timedOut: result.timedOut,
    spawnError,
  };
};
