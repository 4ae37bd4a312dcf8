import { ArchyError } from "@archy/errors";

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
 * accepts one from any installed copy (its marker is
 * `Symbol.for("archy.systemd.error.SystemdError")`, see @archy/errors).
 */
export class SystemdError extends ArchyError<SystemdErrorCode> {
  static override readonly marker = "archy.systemd.error.SystemdError";
  override readonly name = "SystemdError";
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
    super(code, message, options);
    this.command = options.command ?? null;
    this.exitCode = options.exitCode ?? null;
    this.stderr = options.stderr ?? "";
  }
}
