export { acquireMarker } from "./marker.js";
export type { AcquireOptions, Marker, PreviousRun, ReleaseOptions } from "./marker.js";
export { AlreadyRunningError, CrashMarkerError } from "./errors.js";
export type { CrashMarkerErrorCode } from "./errors.js";
