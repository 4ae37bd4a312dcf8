const brand = Symbol.for("archy.error");

export type ReconcilerErrorCode =
  | "EMANIFEST"
  | "EUNKNOWNAPP"
  | "ENAMETAKEN"
  | "EHOOK"
  | "ESTARTFAILED"
  | "EUNHEALTHY"
  | "EDEPENDENCY";

const codes: readonly string[] = [
  "EMANIFEST",
  "EUNKNOWNAPP",
  "ENAMETAKEN",
  "EHOOK",
  "ESTARTFAILED",
  "EUNHEALTHY",
  "EDEPENDENCY",
];

/**
 * Base of this package's errors, with the brand every archy package shares
 * (`Symbol.for("archy.error")`); `isInstance` survives two installed copies.
 */
export class ReconcilerError extends Error {
  readonly [brand] = true;
  override readonly name: string = "ReconcilerError";
  readonly code: ReconcilerErrorCode;
  /** The app concerned, when there is one. */
  readonly app: string | undefined;

  constructor(
    code: ReconcilerErrorCode,
    message: string,
    options?: { cause?: unknown; app?: string },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.app = options?.app;
  }

  static isInstance(error: unknown): error is ReconcilerError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[brand] === true &&
      codes.includes((error as { code?: string }).code ?? "")
    );
  }
}

/** Raised by `parseManifest` callers that want a throw; carries every error of the file. */
export class ManifestInvalidError extends ReconcilerError {
  override readonly name = "ManifestInvalidError";
  readonly errors: readonly {
    file: string;
    line: number;
    column: number;
    path: string;
    message: string;
  }[];
  constructor(errors: ManifestInvalidError["errors"]) {
    super(
      "EMANIFEST",
      errors
        .map((e) => `${e.file}:${e.line}:${e.column}: ${e.path ? `${e.path}: ` : ""}${e.message}`)
        .join("\n"),
    );
    this.errors = errors;
  }
}

export class UnknownAppError extends ReconcilerError {
  override readonly name = "UnknownAppError";
  constructor(app: string) {
    super("EUNKNOWNAPP", `unknown app: ${app}`, { app });
  }
}
