export { createSnapshotStore, MAX_SNAPSHOT_BYTES } from "./store.js";
export type {
  LoadedSnapshot,
  RecoverResult,
  SnapshotStore,
  SnapshotStoreOptions,
} from "./store.js";
export { SnapshotCorruptError, SnapshotError, SnapshotVersionError } from "./errors.js";
export type { SnapshotErrorCode } from "./errors.js";
