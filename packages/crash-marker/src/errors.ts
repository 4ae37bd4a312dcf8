/** Every archy error, whatever its package, carries this brand. */
const brand = Symbol.for("archy.error");

export type CrashMarkerErrorCode = "EALREADYRUNNING";

/** `Symbol.for(marker)` of a class: unique to it, the same in every installed copy. */
const markerOf = (className: string) => `archy.crash-marker.error.${className}`;

const crashMarkerMarker = markerOf("CrashMarkerError");
const crashMarkerSymbol = Symbol.for(crashMarkerMarker);

/**
 * Base of this package's errors. It carries the brand every archy package
 * shares (`Symbol.for("archy.error")`), a marker of its own
 * (`Symbol.for("archy.crash-marker.error.CrashMarkerError")`) and a `code` a
 * caller can switch on; each subclass adds its own marker, so
 * `X.isInstance(e)` accepts an X (and, for this base, any of its subclasses)
 * from any installed copy of the package, and nothing else.
 */
export class CrashMarkerError extends Error {
  readonly [brand] = true;
  private readonly [crashMarkerSymbol] = true;
  override readonly name: string = "CrashMarkerError";
  readonly code: CrashMarkerErrorCode;

  constructor(code: CrashMarkerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  static isInstance(error: unknown): error is CrashMarkerError {
    return CrashMarkerError.hasMarker(error, crashMarkerMarker);
  }

  /** Whether `error` carries `Symbol.for(marker)`, whichever copy of a class built it. */
  protected static hasMarker(error: unknown, marker: string): boolean {
    const symbol = Symbol.for(marker);
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[symbol] === true
    );
  }
}

const alreadyRunningMarker = markerOf("AlreadyRunningError");
const alreadyRunningSymbol = Symbol.for(alreadyRunningMarker);

/** Another live process holds the marker. */
export class AlreadyRunningError extends CrashMarkerError {
  private readonly [alreadyRunningSymbol] = true;
  override readonly name = "AlreadyRunningError";
  declare readonly code: "EALREADYRUNNING";
  readonly pid: number;
  readonly path: string;

  constructor(pid: number, path: string) {
    super("EALREADYRUNNING", `another process (PID ${pid}) holds ${path}`);
    this.pid = pid;
    this.path = path;
  }

  static override isInstance(error: unknown): error is AlreadyRunningError {
    return CrashMarkerError.hasMarker(error, alreadyRunningMarker);
  }
}
