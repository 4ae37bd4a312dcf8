const brand = Symbol.for("archy.error");

export type CrashMarkerErrorCode = "EALREADYRUNNING";

/**
 * Base of this package's errors. It carries the brand every archy package
 * shares (`Symbol.for("archy.error")`), so a check survives two installed
 * copies of the package, and a `code` a caller can switch on.
 */
export class CrashMarkerError extends Error {
  readonly [brand] = true;
  override readonly name: string = "CrashMarkerError";
  readonly code: CrashMarkerErrorCode;

  constructor(code: CrashMarkerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  static isInstance(error: unknown): error is CrashMarkerError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[brand] === true &&
      typeof (error as { code?: unknown }).code === "string" &&
      (error as { code: string }).code === "EALREADYRUNNING"
    );
  }
}

/** Another live process holds the marker. */
export class AlreadyRunningError extends CrashMarkerError {
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
