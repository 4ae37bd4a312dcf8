import { ArchyError } from "@archy/errors";
import type { StopReason } from "./types.js";

export type ReconcilerErrorCode =
  | "EMANIFEST"
  | "EUNKNOWNAPP"
  | "ENAMETAKEN"
  | "EHOOK"
  | "ESTARTFAILED"
  | "EUNHEALTHY"
  | "EDEPENDENCY"
  /** An update that cannot begin (a built image, an image absent after its pull). */
  | "EUPDATE"
  /** The new image is blocked: it failed its gate before. */
  | "EUPDATEBLOCKED"
  /** The new image failed its gate; the old container runs again. */
  | "EROLLEDBACK"
  /** `archy update --to REF`: REF names no image. */
  | "EBADREF";

/**
 * Base of this package's errors. As every archy error (see @archy/errors) it
 * carries archy's brand (`Symbol.for("archy.error")`) and a marker per class
 * (`Symbol.for("archy.reconciler.error.<class>")`), so `X.isInstance(e)`
 * accepts an X (and, for this base, any of its subclasses) from any installed
 * copy of the package, and nothing else.
 */
export class ReconcilerError extends ArchyError<ReconcilerErrorCode> {
  static override readonly marker: string = "archy.reconciler.error.ReconcilerError";
  override readonly name: string = "ReconcilerError";
  /** The app concerned, when there is one. */
  readonly app: string | undefined;

  constructor(
    code: ReconcilerErrorCode,
    message: string,
    options?: { cause?: unknown; app?: string },
  ) {
    super(code, message, options);
    this.app = options?.app;
  }
}

/** Raised by `parseManifest` callers that want a throw; carries every error of the file. */
export class ManifestInvalidError extends ReconcilerError {
  static override readonly marker = "archy.reconciler.error.ManifestInvalidError";
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
}

export class UnknownAppError extends ReconcilerError {
  static override readonly marker = "archy.reconciler.error.UnknownAppError";
  override readonly name = "UnknownAppError";
  declare readonly code: "EUNKNOWNAPP";
  constructor(app: string) {
    super("EUNKNOWNAPP", `unknown app: ${app}`, { app });
  }
}

/**
 * A start that did not take: the container exited, or never became healthy
 * (`EUNHEALTHY` when `stopReason` is "health", else `ESTARTFAILED`).
 */
export class StartFailedError extends ReconcilerError {
  static override readonly marker = "archy.reconciler.error.StartFailedError";
  override readonly name = "StartFailedError";
  declare readonly code: "EUNHEALTHY" | "ESTARTFAILED";
  constructor(
    app: string,
    message: string,
    readonly stopReason: StopReason,
  ) {
    super(stopReason === "health" ? "EUNHEALTHY" : "ESTARTFAILED", message, { app });
  }
}

/** The message of anything thrown. */
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The `code` an error carries (archy's, or Node's such as EACCES); undefined when none. */
export const errorCode = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};
