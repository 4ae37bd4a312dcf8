import type { StopReason } from "./types.js";

/** Every archy error, whatever its package, carries this brand. */
const brand = Symbol.for("archy.error");

export type ReconcilerErrorCode =
  | "EMANIFEST"
  | "EUNKNOWNAPP"
  | "ENAMETAKEN"
  | "EHOOK"
  | "ESTARTFAILED"
  | "EUNHEALTHY"
  | "EDEPENDENCY";

/** `Symbol.for(marker)` of a class: unique to it, the same in every installed copy. */
export const markerOf = (className: string) => `archy.reconciler.error.${className}`;

const reconcilerMarker = markerOf("ReconcilerError");
const reconcilerSymbol = Symbol.for(reconcilerMarker);

/**
 * Base of this package's errors. It carries the brand every archy package
 * shares (`Symbol.for("archy.error")`) and a marker of its own
 * (`Symbol.for("archy.reconciler.error.ReconcilerError")`); each subclass adds
 * its own marker, so `X.isInstance(e)` accepts an X (and, for this base, any
 * of its subclasses) from any installed copy of the package, and nothing else.
 */
export class ReconcilerError extends Error {
  readonly [brand] = true;
  private readonly [reconcilerSymbol] = true;
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
    return ReconcilerError.hasMarker(error, reconcilerMarker);
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

const manifestInvalidMarker = markerOf("ManifestInvalidError");
const manifestInvalidSymbol = Symbol.for(manifestInvalidMarker);

/** Raised by `parseManifest` callers that want a throw; carries every error of the file. */
export class ManifestInvalidError extends ReconcilerError {
  private readonly [manifestInvalidSymbol] = true;
  override readonly name = "ManifestInvalidError";
  declare readonly code: "EMANIFEST";
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

  static override isInstance(error: unknown): error is ManifestInvalidError {
    return ReconcilerError.hasMarker(error, manifestInvalidMarker);
  }
}

const unknownAppMarker = markerOf("UnknownAppError");
const unknownAppSymbol = Symbol.for(unknownAppMarker);

export class UnknownAppError extends ReconcilerError {
  private readonly [unknownAppSymbol] = true;
  override readonly name = "UnknownAppError";
  declare readonly code: "EUNKNOWNAPP";
  constructor(app: string) {
    super("EUNKNOWNAPP", `unknown app: ${app}`, { app });
  }

  static override isInstance(error: unknown): error is UnknownAppError {
    return ReconcilerError.hasMarker(error, unknownAppMarker);
  }
}

const startFailedMarker = markerOf("StartFailedError");
const startFailedSymbol = Symbol.for(startFailedMarker);

/**
 * A start that did not take: the container exited, or never became healthy
 * (`EUNHEALTHY` when `stopReason` is "health", else `ESTARTFAILED`).
 */
export class StartFailedError extends ReconcilerError {
  private readonly [startFailedSymbol] = true;
  override readonly name = "StartFailedError";
  declare readonly code: "EUNHEALTHY" | "ESTARTFAILED";
  constructor(
    app: string,
    message: string,
    readonly stopReason: StopReason,
  ) {
    super(stopReason === "health" ? "EUNHEALTHY" : "ESTARTFAILED", message, { app });
  }

  static override isInstance(error: unknown): error is StartFailedError {
    return ReconcilerError.hasMarker(error, startFailedMarker);
  }
}

/** The message of anything thrown. */
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The `code` an error carries (archy's, or Node's such as EACCES); undefined when none. */
export const errorCode = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};
