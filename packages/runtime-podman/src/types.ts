/** The states archy distinguishes. podman's other spellings are mapped onto these. */
export type ContainerState =
  "running" | "exited" | "created" | "paused" | "stopping" | "removing" | "unknown";

export type HealthStatus = "healthy" | "unhealthy" | "starting" | null;

export interface PortMapping {
  /** Host address to bind; all addresses when absent. */
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

export interface VolumeMount {
  /** A named volume, or an absolute host path. */
  source: string;
  target: string;
  readOnly?: boolean;
}

export interface HealthcheckSpec {
  /** Runs inside the container (exec form). */
  cmd: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

/** What one container may take of the host; each is left to podman's default when absent. */
export interface ContainerResources {
  /** `--memory`: the kernel kills the container's processes past it (OOM). */
  memoryBytes?: number;
  /** `--memory-reservation`: a soft limit, enforced when the host runs short. */
  memoryReservationBytes?: number;
  /** `--cpus`: CPU time, in CPUs (1.5 = one and a half cores). */
  cpus?: number;
  /** `--pids-limit`. */
  pids?: number;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  ports?: PortMapping[];
  volumes?: VolumeMount[];
  /** bridge | host | none | a named network (created on first use when missing). */
  network?: string;
  /** More DNS names of the container on its named network (`--network-alias`). */
  networkAliases?: string[];
  labels?: Record<string, string>;
  user?: string;
  capAdd?: string[];
  capDrop?: string[];
  readOnly?: boolean;
  /** Grace before SIGKILL on stop, in seconds. */
  stopTimeout?: number;
  stopSignal?: string;
  /** Defined in the container so `podman healthcheck run` works; no timer is set up (archy schedules checks). */
  healthcheck?: HealthcheckSpec;
  resources?: ContainerResources;
}

export interface ContainerStatus {
  id: string;
  name: string;
  image: string;
  imageId: string | null;
  state: ContainerState;
  health: HealthStatus;
  exitCode: number | null;
  /** ISO times; null when podman reports none (its zero time). */
  startedAt: string | null;
  finishedAt: string | null;
  labels: Record<string, string>;
  ports: PortMapping[];
  /**
   * An exited container the kernel killed for memory: podman's `OOMKilled`,
   * or the kernel log's word when podman missed it (see oom.ts). Known from an
   * inspect (`getContainerStatus`) only: a list leaves it out.
   */
  oomKilled?: boolean;
}

export type ContainerEventStatus =
  | "create"
  | "init"
  | "start"
  | "died"
  | "stop"
  | "kill"
  | "pause"
  | "unpause"
  | "remove"
  | "cleanup"
  | "health_status"
  | "restart"
  | (string & {});

export interface ContainerEvent {
  /** ISO time of the event. */
  time: string;
  id: string;
  name: string;
  status: ContainerEventStatus;
  exitCode: number | null;
  /** Set on health_status events. */
  health: HealthStatus;
  labels: Record<string, string>;
}

/** What a running container uses, as `podman stats` samples it. */
export interface ContainerUsage {
  /** The container's id as podman prints it in stats (its first 12 characters). */
  id: string;
  name: string;
  /** CPU time used since it started, in nanoseconds (a rate needs two samples). */
  cpuNanos: number;
  memoryBytes: number;
  /** Its memory limit; the host's memory when it has none. */
  memoryLimitBytes: number;
}

export interface ImageInfo {
  id: string;
  /** Every reference the image is known by, e.g. "localhost/web:1.0". */
  names: string[];
  /** The registry digests it is known by, per name, e.g. "127.0.0.1:5000/web@sha256:…" (gone with its names). */
  digests: string[];
  /** The digest of the manifest it was pulled by (kept when a newer pull takes its tag); null when built here. */
  digest: string | null;
}

export interface BuildImageOptions {
  context: string;
  containerfile?: string;
  tag: string;
  buildArgs?: Record<string, string>;
}

/**
 * What archy needs from a container engine. It speaks archy's own types only:
 * nothing of execa or podman's JSON leaks through it.
 */
export interface ContainerRuntime {
  imageExists(image: string): Promise<boolean>;
  pullImage(image: string): Promise<void>;
  buildImage(opts: BuildImageOptions): Promise<void>;
  /** The image's id, or null when the image is absent. */
  imageId(image: string): Promise<string | null>;
  /** Every local image with its names, in one call. */
  listImages(): Promise<ImageInfo[]>;
  /** Creates (does not start) a container; returns its id. */
  createContainer(spec: ContainerSpec): Promise<string>;
  /**
   * Creates and starts a container in one step (`podman run --detach`), with
   * the same spec, validation and errors as createContainer; returns its id.
   * A failed start leaves the container created, as create + start would.
   */
  runContainer(spec: ContainerSpec): Promise<string>;
  startContainer(name: string): Promise<void>;
  /**
   * Starts several containers in one podman call, or in `parallel` calls side
   * by side, each of an equal share of the names (podman starts the names of
   * one call one after the other). Each distinct name ends up in exactly one
   * list, in the order given: `started` (running now, including those already
   * running) or `failed` with podman's error text; a call of several that fails
   * as a whole fails its own names. Rejects only when every call fails as a
   * whole (podman unavailable, timed out).
   */
  startContainers(
    names: string[],
    opts?: { parallel?: number },
  ): Promise<{ started: string[]; failed: { name: string; error: string }[] }>;
  /** `killed` is true when the grace period ran out and the container was SIGKILLed. */
  stopContainer(name: string, opts?: { timeoutSeconds?: number }): Promise<{ killed: boolean }>;
  removeContainer(name: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void>;
  /** Every container, in all states, optionally filtered by labels (all must match). */
  listContainers(opts?: { labels?: Record<string, string> }): Promise<ContainerStatus[]>;
  getContainerStatus(name: string): Promise<ContainerStatus | null>;
  getContainerLogs(name: string, opts?: { tail?: number }): Promise<string[]>;
  followContainerLogs(
    name: string,
    opts?: { tail?: number; signal?: AbortSignal },
  ): AsyncIterable<string>;
  /** Runs the container's health check once. */
  runHealthcheck(name: string): Promise<"healthy" | "unhealthy">;
  /** Container events until `signal` aborts; throws EventStreamError if the stream breaks. */
  events(opts?: { signal?: AbortSignal; since?: number }): AsyncIterable<ContainerEvent>;
  /** The container's IP address on its network; null when it has none (host network, not running). */
  containerAddress(name: string): Promise<string | null>;
  /** Removes a named volume (absent is fine). */
  removeVolume(name: string): Promise<void>;
  /** `podman rename`: the container keeps its id, state and labels; running ones too. */
  renameContainer(name: string, newName: string): Promise<void>;
  /** `podman tag`: `target` names the image `source` (an id or a reference) from now on. */
  tagImage(source: string, target: string): Promise<void>;
  /**
   * `podman rmi` without force: an id goes when no container uses it and no
   * other name refers to it (false otherwise, or when it is gone); a name
   * only loses that name while others remain.
   */
  removeImage(image: string): Promise<boolean>;
  /** The engine's version; throws PodmanUnavailableError when it does not answer. */
  version(): Promise<string>;
  /** Where the engine keeps images and containers (`podman info`'s Store.GraphRoot). */
  storageRoot(): Promise<string>;
  /** One `podman stats --no-stream` of every running container. */
  stats(): Promise<ContainerUsage[]>;
}
