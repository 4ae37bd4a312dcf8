export { RecordingFs } from "./recording-fs.js";
export type { CrashState } from "./recording-fs.js";
export { checkWritePath, formatViolation } from "./crash-check.js";
export type { Violation, WritePath, WritePathReport } from "./crash-check.js";
