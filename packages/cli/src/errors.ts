import { AlreadyRunningError } from "@archy/crash-marker";
import {
  ManifestInvalidError,
  ReconcilerError,
  UnknownAppError,
  formatManifestError,
} from "@archy/reconciler";
import { PodmanTimeoutError, PodmanUnavailableError, RuntimeError } from "@archy/runtime-podman";
import { SnapshotCorruptError, SnapshotVersionError } from "@archy/snapshot";

import { CliError, EXIT, type ExitCode } from "./cli-error.js";

export { CliError, EXIT, type ExitCode };

export interface Classified {
  exitCode: ExitCode;
  message: string;
  /** Unexpected: print "this is a bug" with the stack. */
  bug: boolean;
}

/** Maps every error to its exit code and message, in one place. */
export function classify(error: unknown, stateDir?: string): Classified {
  if (error instanceof CliError)
    return { exitCode: error.exitCode, message: error.message, bug: false };
  if (AlreadyRunningError.isInstance(error) || error instanceof AlreadyRunningError) {
    const e = error as AlreadyRunningError;
    return {
      exitCode: EXIT.locked,
      message: `another archy (PID ${e.pid}) holds the state folder ${stateDir ?? e.path}`,
      bug: false,
    };
  }
  if (error instanceof PodmanUnavailableError)
    return { exitCode: EXIT.podman, message: error.message, bug: false };
  if (error instanceof PodmanTimeoutError)
    return { exitCode: EXIT.podman, message: error.message, bug: false };
  if (error instanceof SnapshotVersionError)
    return { exitCode: EXIT.usage, message: error.message, bug: false };
  if (error instanceof SnapshotCorruptError)
    return { exitCode: EXIT.usage, message: error.message, bug: false };
  if (error instanceof ManifestInvalidError)
    return {
      exitCode: EXIT.usage,
      message: error.errors.map(formatManifestError).join("\n"),
      bug: false,
    };
  if (error instanceof UnknownAppError)
    return { exitCode: EXIT.usage, message: error.message, bug: false };
  if (ReconcilerError.isInstance(error) || RuntimeError.isInstance(error))
    return { exitCode: EXIT.failed, message: (error as Error).message, bug: false };
  if (
    typeof error === "object" &&
    error !== null &&
    "code" in error &&
    ["ENOENT", "EACCES", "EISDIR"].includes(String((error as { code: unknown }).code))
  ) {
    return { exitCode: EXIT.usage, message: (error as unknown as Error).message, bug: false };
  }
  return {
    exitCode: EXIT.failed,
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    bug: true,
  };
}
