const brand = Symbol.for("archy.error");

export type SnapshotErrorCode = "ESNAPSHOTCORRUPT" | "ESNAPSHOTVERSION";

/**
 * Base of this package's errors. It carries the brand every archy package
 * shares (`Symbol.for("archy.error")`), so `isInstance` survives two
 * installed copies of the package.
 */
export class SnapshotError extends Error {
  readonly [brand] = true;
  override readonly name: string = "SnapshotError";
  readonly code: SnapshotErrorCode;

  constructor(code: SnapshotErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  static isInstance(error: unknown): error is SnapshotError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[brand] === true &&
      ["ESNAPSHOTCORRUPT", "ESNAPSHOTVERSION"].includes((error as { code?: string }).code ?? "")
    );
  }
}

/** The file is not a complete, valid snapshot: bad JSON, checksum mismatch, or rejected by `validate`. */
export class SnapshotCorruptError extends SnapshotError {
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
