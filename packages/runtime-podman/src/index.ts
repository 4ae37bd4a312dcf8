export { PodmanRuntime } from "./podman.js";
export { sleep, systemClock } from "./clock/clock.js";
export type { Clock, TimerHandle } from "./clock/clock.js";
export type { PodmanRuntimeOptions } from "./run.js";
export type {
  BuildImageOptions,
  ContainerEvent,
  ContainerEventStatus,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ContainerStatus,
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
  RuntimeError,
} from "./errors.js";
export type { RuntimeErrorCode } from "./errors.js";
