/** A file created for writing; bytes are appended in order. */
export interface WritableFile {
  write(data: string | Uint8Array): Promise<void>;
  /** fsync: the bytes written so far survive a power cut (the name in its folder does not, see `fsyncDir`). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The filesystem calls a crash-safe write uses, and nothing else. Errors are
 * Node's: an `Error` with `code` `"ENOENT"`, `"EEXIST"`, ... so callers test
 * `code` alike for the real filesystem and a test one.
 */
export interface DurableFs {
  /** Creates a new file open for writing; fails with EEXIST when the path exists. */
  create(path: string, mode: number): Promise<WritableFile>;
  /** The whole file as UTF-8 text. */
  readFile(path: string): Promise<string>;
  readdir(dir: string): Promise<string[]>;
  /** Modification time, in ms since the epoch, and size in bytes. */
  stat(path: string): Promise<{ mtimeMs: number; size: number }>;
  /** Atomically replaces `to` with `from` (same folder). */
  rename(from: string, to: string): Promise<void>;
  /** A second name for the file; fails with EEXIST when `to` exists. */
  link(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** `mkdir -p`; resolves with the first folder it created, undefined when all existed. */
  mkdir(dir: string, mode: number): Promise<string | undefined>;
  /** fsync of a folder: the names created, renamed or removed in it so far survive a power cut. */
  fsyncDir(dir: string): Promise<void>;
}
