import { ArchyError } from "@archy/errors";

export type ConvertErrorCode =
  /** The compose file is not YAML, or not valid against the compose specification. */
  | "ECOMPOSE"
  /** A `${VAR?message}` of the compose file names a variable that is not set. */
  | "EINTERPOLATE"
  /**
   * Something the file asks for that archy refuses (a port range, say), a
   * warning under `--strict`, an app a Quadlet unit cannot run as archy
   * would (`app` and `field` say which), or a podman too old for the export.
   */
  | "EUNSUPPORTED"
  /** An app id or file name that is not archy's. */
  | "EUNKNOWNAPP"
  /** A file exists with other content and `force` was not given. */
  | "EEXISTS"
  /** The output folder or file cannot be written. */
  | "EOUTPUT";

/** Where in an input file an error or a warning points (1-based). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  /** The key, dotted (`services.web.ports[1]`). */
  path: string;
}

/**
 * The one error class of this package. `code` tells what went wrong; every
 * error of an input file carries its locations, one per problem found.
 * `ConvertError.isInstance` accepts one from any installed copy (its marker is
 * `Symbol.for("archy.convert.error.ConvertError")`, see @archy/errors).
 */
export class ConvertError extends ArchyError<ConvertErrorCode> {
  static override readonly marker = "archy.convert.error.ConvertError";
  override readonly name = "ConvertError";
  readonly locations: readonly (SourceLocation & { message: string })[];
  /** The app an export refused, when the error is about one. */
  readonly app: string | undefined;
  /** The manifest field at fault, dotted as in the YAML (`container.command[2]`). */
  readonly field: string | undefined;

  constructor(
    code: ConvertErrorCode,
    message: string,
    options: {
      cause?: unknown;
      locations?: readonly (SourceLocation & { message: string })[];
      app?: string;
      field?: string;
    } = {},
  ) {
    super(code, message, options);
    this.locations = options.locations ?? [];
    this.app = options.app;
    this.field = options.field;
  }
}

/** `file:line:column: path: message`, the form of every located message archy prints. */
export function formatLocated(l: SourceLocation & { message: string }): string {
  return `${l.file}:${l.line}:${l.column}: ${l.path ? `${l.path}: ` : ""}${l.message}`;
}
