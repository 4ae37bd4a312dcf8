const brand = Symbol.for("archy.error");

export type RuntimeErrorCode =
  | "EPODMANUNAVAILABLE"
  | "EPODMANTIMEOUT"
  | "EPODMANCOMMAND"
  | "ECONTAINERNOTFOUND"
  | "EIMAGENOTFOUND"
  | "EINVALIDARGUMENT"
  | "EEVENTSTREAM";

const codes: readonly string[] = [
  "EPODMANUNAVAILABLE",
  "EPODMANTIMEOUT",
  "EPODMANCOMMAND",
  "ECONTAINERNOTFOUND",
  "EIMAGENOTFOUND",
  "EINVALIDARGUMENT",
  "EEVENTSTREAM",
];

/**
 * Base of this package's errors. It carries the brand every archy package
 * shares (`Symbol.for("archy.error")`); `isInstance` survives two installed
 * copies. Errors from a podman call keep the execa error as `cause`.
 */
export class RuntimeError extends Error {
  readonly [brand] = true;
  override readonly name: string = "RuntimeError";
  readonly code: RuntimeErrorCode;

  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  static isInstance(error: unknown): error is RuntimeError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[brand] === true &&
      codes.includes((error as { code?: string }).code ?? "")
    );
  }
}

/** The podman binary is missing, not executable, or does not answer. */
export class PodmanUnavailableError extends RuntimeError {
  override readonly name = "PodmanUnavailableError";
  readonly podmanPath: string;
  constructor(podmanPath: string, detail: string, options?: { cause?: unknown }) {
    super("EPODMANUNAVAILABLE", `podman is unavailable (${podmanPath}): ${detail}`, options);
    this.podmanPath = podmanPath;
  }
}

/** A podman call ran past its timeout and was killed. */
export class PodmanTimeoutError extends RuntimeError {
  override readonly name = "PodmanTimeoutError";
  readonly argv: string[];
  readonly timeoutMs: number;
  constructor(argv: string[], timeoutMs: number, options?: { cause?: unknown }) {
    super(
      "EPODMANTIMEOUT",
      `podman did not answer within ${timeoutMs} ms: ${argv.join(" ")}`,
      options,
    );
    this.argv = argv;
    this.timeoutMs = timeoutMs;
  }
}

/** A podman call exited non-zero. */
export class PodmanCommandError extends RuntimeError {
  override readonly name: string = "PodmanCommandError";
  readonly argv: string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(
    argv: string[],
    exitCode: number | null,
    stderr: string,
    options?: { cause?: unknown },
  ) {
    const detail = stderr.trim().split("\n").pop() ?? "";
    super(
      "EPODMANCOMMAND",
      `podman ${argv.join(" ")} failed (exit ${exitCode ?? "?"}): ${detail}`,
      options,
    );
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export class ContainerNotFoundError extends RuntimeError {
  override readonly name = "ContainerNotFoundError";
  readonly container: string;
  constructor(container: string, options?: { cause?: unknown }) {
    super("ECONTAINERNOTFOUND", `no such container: ${container}`, options);
    this.container = container;
  }
}

export class ImageNotFoundError extends RuntimeError {
  override readonly name = "ImageNotFoundError";
  readonly image: string;
  constructor(image: string, options?: { cause?: unknown }) {
    super("EIMAGENOTFOUND", `no such image: ${image}`, options);
    this.image = image;
  }
}

/** A value podman would read as a flag, or not a valid name; refused before any call. */
export class InvalidArgumentError extends RuntimeError {
  override readonly name = "InvalidArgumentError";
  readonly field: string;
  readonly value: string;
  constructor(field: string, value: string, expected: string) {
    super("EINVALIDARGUMENT", `invalid ${field} ${JSON.stringify(value)}: ${expected}`);
    this.field = field;
    this.value = value;
  }
}

/** `podman events` ended or failed while the caller was still reading. */
export class EventStreamError extends RuntimeError {
  override readonly name = "EventStreamError";
  constructor(detail: string, options?: { cause?: unknown }) {
    super("EEVENTSTREAM", `the podman event stream broke: ${detail}`, options);
  }
}
