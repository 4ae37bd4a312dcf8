/** Every archy error, whatever its package, carries this brand. */
const brand = Symbol.for("archy.error");

export type SnapshotErrorCode = "ESNAPSHOTCORRUPT" | "ESNAPSHOTVERSION";

/** `Symbol.for(marker)` of a class: unique to it, the same in every installed copy. */
const markerOf = (className: string) => `archy.snapshot.error.${className}`;

const snapshotMarker = markerOf("SnapshotError");
const snapshotSymbol = Symbol.for(snapshotMarker);

/**
 * Base of this package's errors. It carries the brand every archy package
 * shares (`Symbol.for("archy.error")`) and a marker of its own
 * (`Symbol.for("archy.snapshot.error.SnapshotError")`); each subclass adds its
 * own marker, so `X.isInstance(e)` accepts an X (and, for this base, any of
 * its subclasses) from any installed copy of the package, and nothing else.
 */
export class SnapshotError extends Error {
  readonly [brand] = true;
  private readonly [snapshotSymbol] = true;
  override readonly name: string = "SnapshotError";
  readonly code: SnapshotErrorCode;

  constructor(code: SnapshotErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  static isInstance(error: unknown): error is SnapshotError {
    return SnapshotError.hasMarker(error, snapshotMarker);
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

const corruptMarker = markerOf("SnapshotCorruptError");
const corruptSymbol = Symbol.for(corruptMarker);

/** The file is not a complete, valid snapshot: bad JSON, checksum mismatch, or rejected by `validate`. */
export class SnapshotCorruptError extends SnapshotError {
  private readonly [corruptSymbol] = true;
  override readonly name = "SnapshotCorruptError";
  declare readonly code: "ESNAPSHOTCORRUPT";
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super("ESNAPSHOTCORRUPT", `snapshot ${path} is corrupt: ${reason}`, options);
    this.path = path;
    this.reason = reason;
  }

  static override isInstance(error: unknown): error is SnapshotCorruptError {
    return SnapshotError.hasMarker(error, corruptMarker);
  }
}

const versionMarker = markerOf("SnapshotVersionError");
const versionSymbol = Symbol.for(versionMarker);

/** The file's version cannot be read by this code: newer, or older without a migration. */
export class SnapshotVersionError extends SnapshotError {
  private readonly [versionSymbol] = true;
  override readonly name = "SnapshotVersionError";
  declare readonly code: "ESNAPSHOTVERSION";
  readonly path: string;
  readonly found: number;
  readonly expected: number;

  constructor(path: string, found: number, expected: number, detail: string) {
    super(
      "ESNAPSHOTVERSION",
      `snapshot ${path} has version ${found}, this code reads version ${expected}: ${detail}`,
    );
    this.path = path;
    this.found = found;
    this.expected = expected;
  }

  static override isInstance(error: unknown): error is SnapshotVersionError {
    return SnapshotError.hasMarker(error, versionMarker);
  }
}
