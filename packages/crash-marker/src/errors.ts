import { ArchyError } from "@archy/errors";

export type CrashMarkerErrorCode = "EALREADYRUNNING";

/**
 * Base of this package's errors, a code a caller can switch on. As every
 * archy error (see @archy/errors) it carries archy's brand
 * (`Symbol.for("archy.error")`) and a marker per class
 * (`Symbol.for("archy.crash-marker.error.<class>")`), so `X.isInstance(e)`
 * accepts an X (and, for this base, any of its subclasses) from any installed
 * copy of the package, and nothing else.
 */
export class CrashMarkerError extends ArchyError<CrashMarkerErrorCode> {
  static override readonly marker: string = "archy.crash-marker.error.CrashMarkerError";
  override readonly name: string = "CrashMarkerError";
}

/** Another live process holds the marker. */
export class AlreadyRunningError extends CrashMarkerError {
  static override readonly marker = "archy.crash-marker.error.AlreadyRunningError";
  override readonly name = "AlreadyRunningError";
  declare readonly code: "EALREADYRUNNING";
  readonly pid: number;
  readonly path: string;

  constructor(pid: number, path: string) {
    super("EALREADYRUNNING", `another process (PID ${pid}) holds ${path}`);
    this.pid = pid;
    this.path = path;
  }
}
