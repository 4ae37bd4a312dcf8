import { ArchyError } from "@archy/errors";
import type { ManifestError } from "@archy/reconciler";
import type { SystemdErrorCode } from "@archy/systemd";
import { CliError, EXIT, exitCodeFor, type ExitCode } from "./cli-error.js";
import { formatManifestError } from "./views.js";

export { CliError, EXIT, exitCodeFor, type ExitCode };

export interface Classified {
  exitCode: ExitCode;
  message: string;
  /** Unexpected: print "this is a bug" with the stack. */
  bug: boolean;
}

/**
 * @archy/systemd's codes with an exit code of their own (`archy service`):
 * a host without systemd, or a user manager that cannot be reached, is not a
 * place the command can work (2), like a path that cannot be used as given.
 * A failed or slow systemctl exits 1, as any archy error.
 */
const SYSTEMD_EXIT: Partial<Record<string, ExitCode>> = {
  ENOSYSTEMD: EXIT.usage,
  ENOMANAGER: EXIT.usage,
  EUNITVALUE: EXIT.usage,
} satisfies Partial<Record<SystemdErrorCode, ExitCode>>;

const systemdExitFor = (code: string | undefined): ExitCode | null =>
  code !== undefined && Object.hasOwn(SYSTEMD_EXIT, code) ? SYSTEMD_EXIT[code]! : null;

interface CodedError {
  code?: unknown;
  message?: unknown;
}

const messageOf = (error: unknown) =>
  error instanceof Error ? error.message : String((error as CodedError).message ?? error);

/** The message of an error whose code has an exit code of its own. */
function messageFor(error: CodedError, code: string | undefined, stateDir?: string): string {
  if (code === "EALREADYRUNNING") {
    const { pid, path } = error as { pid?: unknown; path?: unknown };
    return `another archy (PID ${String(pid)}) holds the state folder ${stateDir ?? String(path ?? "")}`;
  }
  const errors = (error as { errors?: unknown }).errors;
  if (code === "EMANIFEST" && Array.isArray(errors))
    return (errors as ManifestError[]).map(formatManifestError).join("\n");
  return messageOf(error);
}

/**
 * Maps every error to its exit code and message, in one place, by its `code`
 * (never `instanceof`, so an error from another installed copy of a package
 * maps the same): a CliError keeps its exit code; a code of `exitCodeFor`'s
 * table gets that one; any other archy error (`ArchyError`'s brand) exits
 * `EXIT.failed`; anything else is a bug, reported with its stack.
 */
export function classify(error: unknown, stateDir?: string): Classified {
  if (CliError.isInstance(error))
    return { exitCode: error.exitCode, message: error.message, bug: false };
  const e = (typeof error === "object" && error !== null ? error : {}) as CodedError;
  const code = typeof e.code === "string" ? e.code : undefined;
  const exitCode = exitCodeFor(code) ?? systemdExitFor(code);
  if (exitCode !== null) return { exitCode, message: messageFor(e, code, stateDir), bug: false };
  if (ArchyError.isInstance(error))
    return { exitCode: EXIT.failed, message: messageOf(error), bug: false };
  return {
    exitCode: EXIT.failed,
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    bug: true,
  };
}
