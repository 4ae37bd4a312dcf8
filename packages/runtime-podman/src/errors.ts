/** Every archy error, whatever its package, carries this brand. */
const brand = Symbol.for("archy.error");

export type RuntimeErrorCode =
  | "EPODMANUNAVAILABLE"
  | "EPODMANTIMEOUT"
  | "EPODMANCOMMAND"
  | "ECONTAINERNOTFOUND"
  | "EIMAGENOTFOUND"
  | "EINVALIDARGUMENT"
  | "EEVENTSTREAM"
  | "EPODMANOUTPUT";

/** `Symbol.for(marker)` of a class: unique to it, the same in every installed copy. */
const markerOf = (className: string) => `archy.runtime-podman.error.${className}`;

const runtimeMarker = markerOf("RuntimeError");
const runtimeSymbol = Symbol.for(runtimeMarker);

/**
 * Base of this package's errors. It carries the brand every archy package
 * shares (`Symbol.for("archy.error")`) and a marker of its own
 * (`Symbol.for("archy.runtime-podman.error.RuntimeError")`); each subclass
 * adds its own marker too, so `X.isInstance(e)` accepts an X (and, for this
 * base, any of its subclasses) from any installed copy of the package, and
 * nothing else. Errors from a podman call keep the execa error as `cause`.
 */
export class RuntimeError extends Error {
  readonly [brand] = true;
  private readonly [runtimeSymbol] = true;
  override readonly name: string = "RuntimeError";
  readonly code: RuntimeErrorCode;

  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  static isInstance(error: unknown): error is RuntimeError {
    return RuntimeError.hasMarker(error, runtimeMarker);
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

const unavailableMarker = markerOf("PodmanUnavailableError");
const unavailableSymbol = Symbol.for(unavailableMarker);

/** The podman binary is missing, not executable, or does not answer. */
export class PodmanUnavailableError extends RuntimeError {
  private readonly [unavailableSymbol] = true;
  override readonly name = "PodmanUnavailableError";
  declare readonly code: "EPODMANUNAVAILABLE";
  readonly podmanPath: string;
  constructor(podmanPath: string, detail: string, options?: { cause?: unknown }) {
    super("EPODMANUNAVAILABLE", `podman is unavailable (${podmanPath}): ${detail}`, options);
    this.podmanPath = podmanPath;
  }

  static override isInstance(error: unknown): error is PodmanUnavailableError {
    return RuntimeError.hasMarker(error, unavailableMarker);
  }
}

const timeoutMarker = markerOf("PodmanTimeoutError");
const timeoutSymbol = Symbol.for(timeoutMarker);

/** A podman call ran past its timeout and was killed. */
export class PodmanTimeoutError extends RuntimeError {
  private readonly [timeoutSymbol] = true;
  override readonly name = "PodmanTimeoutError";
  declare readonly code: "EPODMANTIMEOUT";
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

  static override isInstance(error: unknown): error is PodmanTimeoutError {
    return RuntimeError.hasMarker(error, timeoutMarker);
  }
}

const commandMarker = markerOf("PodmanCommandError");
const commandSymbol = Symbol.for(commandMarker);

/** A podman call exited non-zero. */
export class PodmanCommandError extends RuntimeError {
  private readonly [commandSymbol] = true;
  override readonly name: string = "PodmanCommandError";
  declare readonly code: "EPODMANCOMMAND";
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

  static override isInstance(error: unknown): error is PodmanCommandError {
    return RuntimeError.hasMarker(error, commandMarker);
  }
}

const containerNotFoundMarker = markerOf("ContainerNotFoundError");
const containerNotFoundSymbol = Symbol.for(containerNotFoundMarker);

export class ContainerNotFoundError extends RuntimeError {
  private readonly [containerNotFoundSymbol] = true;
  override readonly name = "ContainerNotFoundError";
  declare readonly code: "ECONTAINERNOTFOUND";
  readonly container: string;
  constructor(container: string, options?: { cause?: unknown }) {
    super("ECONTAINERNOTFOUND", `no such container: ${container}`, options);
    this.container = container;
  }

  static override isInstance(error: unknown): error is ContainerNotFoundError {
    return RuntimeError.hasMarker(error, containerNotFoundMarker);
  }
}

const imageNotFoundMarker = markerOf("ImageNotFoundError");
const imageNotFoundSymbol = Symbol.for(imageNotFoundMarker);

export class ImageNotFoundError extends RuntimeError {
  private readonly [imageNotFoundSymbol] = true;
  override readonly name = "ImageNotFoundError";
  declare readonly code: "EIMAGENOTFOUND";
  readonly image: string;
  constructor(image: string, options?: { cause?: unknown }) {
    super("EIMAGENOTFOUND", `no such image: ${image}`, options);
    this.image = image;
  }

  static override isInstance(error: unknown): error is ImageNotFoundError {
    return RuntimeError.hasMarker(error, imageNotFoundMarker);
  }
}

const invalidArgumentMarker = markerOf("InvalidArgumentError");
const invalidArgumentSymbol = Symbol.for(invalidArgumentMarker);

/** A value podman would read as a flag, or not a valid name; refused before any call. */
export class InvalidArgumentError extends RuntimeError {
  private readonly [invalidArgumentSymbol] = true;
  override readonly name = "InvalidArgumentError";
  declare readonly code: "EINVALIDARGUMENT";
  readonly field: string;
  readonly value: string;
  constructor(field: string, value: string, expected: string) {
    super("EINVALIDARGUMENT", `invalid ${field} ${JSON.stringify(value)}: ${expected}`);
    this.field = field;
    this.value = value;
  }

  static override isInstance(error: unknown): error is InvalidArgumentError {
    return RuntimeError.hasMarker(error, invalidArgumentMarker);
  }
}

const eventStreamMarker = markerOf("EventStreamError");
const eventStreamSymbol = Symbol.for(eventStreamMarker);

/** `podman events` ended or failed while the caller was still reading. */
export class EventStreamError extends RuntimeError {
  private readonly [eventStreamSymbol] = true;
  override readonly name = "EventStreamError";
  declare readonly code: "EEVENTSTREAM";
  constructor(detail: string, options?: { cause?: unknown }) {
    super("EEVENTSTREAM", `the podman event stream broke: ${detail}`, options);
  }

  static override isInstance(error: unknown): error is EventStreamError {
    return RuntimeError.hasMarker(error, eventStreamMarker);
  }
}

const outputMarker = markerOf("PodmanOutputError");
const outputSymbol = Symbol.for(outputMarker);

/**
 * A podman call exited 0 but printed what archy cannot read (nothing, cut
 * short, not JSON, not the expected shape): a failed call, never an empty
 * answer.
 */
export class PodmanOutputError extends RuntimeError {
  private readonly [outputSymbol] = true;
  override readonly name = "PodmanOutputError";
  declare readonly code: "EPODMANOUTPUT";
  /** The subcommand whose output it was (`ps`, `images`, `inspect`, …). */
  readonly command: string;
  constructor(command: string, detail: string, options?: { cause?: unknown }) {
    super(
      "EPODMANOUTPUT",
      `podman ${command} printed output archy cannot read: ${detail}`,
      options,
    );
    this.command = command;
  }

  static override isInstance(error: unknown): error is PodmanOutputError {
    return RuntimeError.hasMarker(error, outputMarker);
  }
}
