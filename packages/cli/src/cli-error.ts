import type { ConvertErrorCode } from "@archy/convert";
import type { CrashMarkerErrorCode } from "@archy/crash-marker";
import { ArchyError } from "@archy/errors";
import type { ReconcilerErrorCode } from "@archy/reconciler";
import type { RuntimeErrorCode } from "@archy/runtime-podman";
import type { SnapshotErrorCode } from "@archy/snapshot";

/** The exit codes of SPEC section 6. */
export const EXIT = { ok: 0, failed: 1, usage: 2, locked: 3, podman: 4, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Node's fs codes of a path the user gave that cannot be used as given. */
type FsErrorCode = "ENOENT" | "EACCES" | "EISDIR" | "ENOTDIR" | "ELOOP";

/** Every error code the archy packages raise (the table below is checked against it). */
type ArchyErrorCode =
  | ConvertErrorCode
  | CrashMarkerErrorCode
  | ReconcilerErrorCode
  | RuntimeErrorCode
  | SnapshotErrorCode;

/**
 * The exit code of each error `code` that has its own (SPEC section 6). An
 * archy error whose code is not here exits `EXIT.failed`; it lives here, not
 * in errors.ts, so views.ts can read it without loading @archy/reconciler.
 */
const EXIT_BY_CODE: Partial<Record<string, ExitCode>> = {
  // @archy/crash-marker: another archy holds the state folder
  EALREADYRUNNING: EXIT.locked,
  // @archy/runtime-podman: podman is missing or does not answer
  EPODMANUNAVAILABLE: EXIT.podman,
  EPODMANTIMEOUT: EXIT.podman,
  // @archy/snapshot: a snapshot file this code cannot read
  ESNAPSHOTVERSION: EXIT.usage,
  ESNAPSHOTCORRUPT: EXIT.usage,
  // @archy/reconciler: invalid input
  EMANIFEST: EXIT.usage,
  EUNKNOWNAPP: EXIT.usage,
  EBADREF: EXIT.usage,
  // @archy/convert: a compose file, or an output folder, that cannot be used as given
  ECOMPOSE: EXIT.usage,
  EINTERPOLATE: EXIT.usage,
  EUNSUPPORTED: EXIT.usage,
  EEXISTS: EXIT.usage,
  EOUTPUT: EXIT.usage,
  // Node's fs: a path given by the user that is missing, not readable, a folder, under a
  // file (`--manifests some.yaml`), or a loop of symbolic links
  ENOENT: EXIT.usage,
  EACCES: EXIT.usage,
  EISDIR: EXIT.usage,
  ENOTDIR: EXIT.usage,
  ELOOP: EXIT.usage,
} satisfies Partial<Record<ArchyErrorCode | FsErrorCode, ExitCode>>;

/** The exit code of an error `code` that has its own, else null (see `classify` for the rest). */
export function exitCodeFor(code: string | undefined): ExitCode | null {
  return code !== undefined && Object.hasOwn(EXIT_BY_CODE, code) ? EXIT_BY_CODE[code]! : null;
}

/**
 * An error the CLI reports as it is, with its exit code. Its `code` is
 * `ECLI`; `classify` keeps its exit code whatever that says. As every archy
 * error (see @archy/errors) it carries archy's brand and a marker of its own
 * (`Symbol.for("archy.cli.error.CliError")`), so `CliError.isInstance(e)`
 * accepts one from any copy of this module, where `instanceof` does not.
 */
export class CliError extends ArchyError<"ECLI"> {
  static override readonly marker = "archy.cli.error.CliError";
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super("ECLI", message);
  }
}
