import { ArchyError } from "@archy/errors";

export type RuntimeErrorCode =
  | "EPODMANUNAVAILABLE"
  | "EPODMANTIMEOUT"
  | "EPODMANCOMMAND"
  | "ECONTAINERNOTFOUND"
  | "EIMAGENOTFOUND"
  | "EINVALIDARGUMENT"
  | "EEVENTSTREAM"
  | "EPODMANOUTPUT"
  | "EREGISTRY";

/**
 * Base of this package's errors. As every archy error (see @archy/errors) it
 * carries archy's brand (`Symbol.for("archy.error")`) and a marker per class
 * (`Symbol.for("archy.runtime-podman.error.<class>")`), so `X.isInstance(e)`
 * accepts an X (and, for this base, any of its subclasses) from any installed
 * copy of the package, and nothing else. Errors from a podman call keep the
 * execa error as `cause`.
 */
export class RuntimeError extends ArchyError<RuntimeErrorCode> {
  static override readonly marker: string = "archy.runtime-podman.error.RuntimeError";
  override readonly name: string = "RuntimeError";
}

/** The podman binary is missing, not executable, or does not answer. */
export class PodmanUnavailableError extends RuntimeError {
  static override readonly marker = "archy.runtime-podman.error.PodmanUnavailableError";
  override readonly name = "PodmanUnavailableError";
  declare readonly code: "EPODMANUNAVAILABLE";
  readonly podmanPath: string;
  constructor(podmanPath: string, detail: string, options?: { cause?: unknown }) {
    super("EPODMANUNAVAILABLE", `podman is unavailable (${podmanPath}): ${detail}`, options);
    this.podmanPath = podmanPath;
  }
}

/** A podman call ran past its timeout and was killed. */
export class PodmanTimeoutError extends RuntimeError {
  static override readonly marker = "archy.runtime-podman.error.PodmanTimeoutError";
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
}

/** A podman call exited non-zero. */
export class PodmanCommandError extends RuntimeError {
  static override readonly marker = "archy.runtime-podman.error.PodmanCommandError";
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
}

export class ContainerNotFoundError extends RuntimeError {
  static override readonly marker = "archy.runtime-podman.error.ContainerNotFoundError";
  override readonly name = "ContainerNotFoundError";
  declare readonly code: "ECONTAINERNOTFOUND";
  readonly container: string;
  constructor(container: string, options?: { cause?: unknown }) {
    super("ECONTAINERNOTFOUND", `no such container: ${container}`, options);
    this.container = container;
  }
}

export class ImageNotFoundError extends RuntimeError {
  static override readonly marker = "archy.runtime-podman.error.ImageNotFoundError";
  override readonly name = "ImageNotFoundError";
  declare readonly code: "EIMAGENOTFOUND";
  readonly image: string;
  constructor(image: string, options?: { cause?: unknown }) {
    super("EIMAGENOTFOUND", `no such image: ${image}`, options);
    this.image = image;
  }
}

/** A value podman would read as a flag, or not a valid name; refused before any call. */
export class InvalidArgumentError extends RuntimeError {
  static override readonly marker = "archy.runtime-podman.error.InvalidArgumentError";
  override readonly name = "InvalidArgumentError";
  declare readonly code: "EINVALIDARGUMENT";
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
  static override readonly marker = "archy.runtime-podman.error.EventStreamError";
  override readonly name = "EventStreamError";
  declare readonly code: "EEVENTSTREAM";
  constructor(detail: string, options?: { cause?: unknown }) {
    super("EEVENTSTREAM", `the podman event stream broke: ${detail}`, options);
  }
}

/**
 * A podman call exited 0 but printed what archy cannot read (nothing, cut
 * short, not JSON, not the expected shape): a failed call, never an empty
 * answer.
 */
export class PodmanOutputError extends RuntimeError {
  static override readonly marker = "archy.runtime-podman.error.PodmanOutputError";
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
}

/** Why a registry could not say what a reference points to. */
export type RegistryProblem =
  "unreachable" | "unauthorized" | "not-found" | "blocked" | "local" | "protocol";

/**
 * A registry did not answer what a reference points to now: not reachable,
 * the credentials refused (or none given), the reference unknown to it, the
 * registry blocked by registries.conf, a local-only image, or an answer that
 * breaks the protocol. Nothing on the host changed.
 */
export class RegistryError extends RuntimeError {
  static override readonly marker = "archy.runtime-podman.error.RegistryError";
  override readonly name = "RegistryError";
  declare readonly code: "EREGISTRY";
  readonly reference: string;
  readonly problem: RegistryProblem;
  constructor(
    reference: string,
    problem: RegistryProblem,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super("EREGISTRY", `${reference}: ${detail}`, options);
    this.reference = reference;
    this.problem = problem;
  }
}
