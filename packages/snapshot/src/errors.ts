import { ArchyError } from "@archy/errors";

export type SnapshotErrorCode = "ESNAPSHOTCORRUPT" | "ESNAPSHOTVERSION";

/**
 * Base of this package's errors. As every archy error (see @archy/errors) it
 * carries archy's brand (`Symbol.for("archy.error")`) and a marker per class
 * (`Symbol.for("archy.snapshot.error.<class>")`), so `X.isInstance(e)`
 * accepts an X (and, for this base, any of its subclasses) from any installed
 * copy of the package, and nothing else.
 */
export class SnapshotError extends ArchyError<SnapshotErrorCode> {
  static override readonly marker: string = "archy.snapshot.error.SnapshotError";
  override readonly name: string = "SnapshotError";
}

/** The file is not a complete, valid snapshot: bad JSON, checksum mismatch, or rejected by `validate`. */
export class SnapshotCorruptError extends SnapshotError {
  static override readonly marker = "archy.snapshot.error.SnapshotCorruptError";
  override readonly name = "SnapshotCorruptError";
  declare readonly code: "ESNAPSHOTCORRUPT";
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super("ESNAPSHOTCORRUPT", `snapshot ${path} is corrupt: ${reason}`, options);
    this.path = path;
    this.reason = reason;
  }
}

/** The file's version cannot be read by this code: newer, or older without a migration. */
export class SnapshotVersionError extends SnapshotError {
  static override readonly marker = "archy.snapshot.error.SnapshotVersionError";
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
}
