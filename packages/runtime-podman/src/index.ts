export { PodmanRuntime } from "./podman.js";
export { sleep, systemClock } from "./clock/clock.js";
export type { Clock, TimerHandle } from "./clock/clock.js";
export type { PodmanRuntimeOptions } from "./run.js";
export type {
  BuildImageOptions,
  ContainerEvent,
  ContainerEventStatus,
  ContainerRuntime,
  ContainerResources,
  ContainerSpec,
  ContainerState,
  ContainerStatus,
  ContainerUsage,
  HealthcheckSpec,
  HealthStatus,
  ImageInfo,
  PortMapping,
  VolumeMount,
} from "./types.js";
export {
  ContainerNotFoundError,
  EventStreamError,
  ImageNotFoundError,
  InvalidArgumentError,
  PodmanCommandError,
  PodmanOutputError,
  PodmanTimeoutError,
  PodmanUnavailableError,
  RegistryError,
  RuntimeError,
} from "./errors.js";
export type { RegistryProblem, RuntimeErrorCode } from "./errors.js";
export { parseReference, remoteDigest } from "./registry/index.js";
export type { ImageReference, RemoteDigestOptions } from "./registry/index.js";
