/** Every archy error, whatever its package, carries this brand. */
const brand = Symbol.for("archy.error");
const marker = Symbol.for("archy.systemd.error.SystemdError");

export type SystemdErrorCode =
  /** systemd is not the running init system (no `/run/systemd/system`), or `systemctl` is missing. */
  | "ENOSYSTEMD"
  /** The service manager (the user's, with `--user`) cannot be reached over its bus. */
  | "ENOMANAGER"
  /** `systemctl` ran and failed. */
  | "ESYSTEMCTL"
  /** `systemctl` did not finish within its timeout. */
  | "ESYSTEMCTLTIMEOUT"
  /** A notification could not be sent (given to `onError`, never thrown). */
  | "ENOTIFY"
  /** A value a unit file cannot hold (a newline, a relative path where systemd wants an absolute one). */
  | "EUNITVALUE";

/**
 * The one error class of this package. `code` tells what went wrong; a
 * failed command keeps its argv, exit code and stderr. `SystemdError.isInstance`
 * accepts one from any installed copy.
 */
export class SystemdError extends Error {
  readonly [brand] = true;
  private readonly [marker] = true;
  override readonly name = "SystemdError";
  readonly code: SystemdErrorCode;
  /** The command that failed (`["systemctl", "--user", "daemon-reload"]`), when one did. */
  readonly command: readonly string[] | null;
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(
    code: SystemdErrorCode,
    message: string,
    options: {
      cause?: unknown;
      command?: readonly string[];
      exitCode?: number | null;
      stderr?: string;
    } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.command = options.command ?? null;
    this.exitCode = options.exitCode ?? null;
    this.stderr = options.stderr ?? "";
  }

  static isInstance(error: unknown): error is SystemdError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[marker] === true
    );
  }
}
