import { basename, dirname, posix } from "node:path";
import type { DurableFs, WritableFile } from "./types.js";

/*
 * An in-memory filesystem that records what a power cut could lose, after
 * ALICE (Pillai et al., "All File Systems Are Not Created Equal", OSDI 2014)
 * and LazyFS. Every inode keeps what is durable apart from what the process
 * sees:
 *
 * - a file's bytes are durable once it is fsynced; bytes written since may be
 *   lost, torn (a prefix of a write: 1 byte, half, all but one, and 4096 bytes
 *   for a longer one) or read back as zeros (the size reached the disk, the
 *   data did not);
 * - a name created, renamed or removed in a folder is durable once that
 *   folder is fsynced; until then each such change may or may not have
 *   happened, independently of the others (every subset: no order is assumed,
 *   which is more than ext4 or xfs allow); a rename is one change (both names
 *   or neither). An fsync of a file does not make its name durable.
 *
 * A crash point is taken after every operation that changes something; a
 * crash state is what one crash point can leave. Only paths under "/" exist.
 */

type Ino = number;
interface Write {
  offset: number;
  bytes: Uint8Array;
}
interface FileNode {
  kind: "file";
  data: Uint8Array;
  durable: Uint8Array;
  /** Writes since the last fsync, in order. Replaced, never mutated, so crash points can share it. */
  unsynced: readonly Write[];
  mtimeMs: number;
}
interface DirNode {
  kind: "dir";
  entries: Map<string, Ino>;
  /** Replaced, never mutated. */
  durable: ReadonlyMap<string, Ino>;
}
type Node = FileNode | DirNode;
/** One change of names in one folder, not yet durable: null removes the name. */
interface DirChange {
  dir: Ino;
  names: [string, Ino | null][];
}
interface CrashPoint {
  label: string;
  files: Map<Ino, { durable: Uint8Array; unsynced: readonly Write[] }>;
  dirs: Map<Ino, ReadonlyMap<string, Ino>>;
  pending: readonly DirChange[];
}

/** One state a power cut can leave, as a filesystem to load from. */
export interface CrashState {
  fs: RecordingFs;
  /** The crash points (0: before the first recorded operation) that can leave it. */
  points: number[];
  /** Whether a cut after the last recorded operation can leave it. */
  final: boolean;
  /** Its files and their text, for a report. */
  describe(): string;
}

const ROOT: Ino = 1;
/** More unsynced folder changes than this at one crash point are refused rather than sampled. */
const MAX_PENDING_CHANGES = 12;

function fsError(code: string, op: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${op} '${path}'`), { code, path });
}

function applyWrite(base: Uint8Array, w: Write): Uint8Array {
  const out = new Uint8Array(Math.max(base.length, w.offset + w.bytes.length));
  out.set(base);
  out.set(w.bytes, w.offset);
  return out;
}

/** The contents a power cut can leave in a file: see the comment at the top. */
function contentsAfterCut(file: { durable: Uint8Array; unsynced: readonly Write[] }): Uint8Array[] {
  const out = [file.durable];
  let current = file.durable;
  for (const w of file.unsynced) {
    const n = w.bytes.length;
    for (const cut of new Set([1, Math.floor(n / 2), n - 1, 4096]))
      if (cut > 0 && cut < n)
        out.push(applyWrite(current, { ...w, bytes: w.bytes.subarray(0, cut) }));
    current = applyWrite(current, w);
    out.push(current);
  }
  if (current.length > file.durable.length) {
    const zeros = new Uint8Array(current.length);
    zeros.set(file.durable);
    out.push(zeros);
  }
  const distinct = new Map(out.map((c) => [Buffer.from(c).toString("base64"), c]));
  return [...distinct.values()];
}

export class RecordingFs implements DurableFs {
  private readonly nodes = new Map<Ino, Node>();
  private nextIno = ROOT + 1;
  private pending: DirChange[] = [];
  private points: CrashPoint[] = [];
  private clock = 0;

  constructor() {
    this.nodes.set(ROOT, { kind: "dir", entries: new Map(), durable: new Map() });
    this.barrier();
  }

  /** Makes everything durable (as `sync`) and starts recording afresh: crash point 0 is now. */
  barrier(): void {
    for (const node of this.nodes.values()) {
      if (node.kind === "file") Object.assign(node, { durable: node.data, unsynced: [] });
      else node.durable = new Map(node.entries);
    }
    this.pending = [];
    this.points = [];
    this.point("start");
  }

  /** The operations recorded since the last barrier, one line each. */
  operations(): string[] {
    return this.points.slice(1).map((p) => p.label);
  }

  /** A new filesystem holding what this one shows now, all of it durable. */
  copy(): RecordingFs {
    const copy = new RecordingFs();
    for (const [ino, node] of this.nodes) {
      copy.nodes.set(
        ino,
        node.kind === "file"
          ? { ...node, durable: node.data, unsynced: [] }
          : { kind: "dir", entries: new Map(node.entries), durable: new Map(node.entries) },
      );
    }
    copy.nextIno = this.nextIno;
    return copy;
  }

  /** Every distinct state a power cut at any crash point since the last barrier can leave. */
  crashStates(): CrashState[] {
    const crowded = this.points.find((p) => p.pending.length > MAX_PENDING_CHANGES);
    if (crowded)
      throw new Error(
        `${crowded.pending.length} unsynced folder changes at "${crowded.label}": too many to enumerate`,
      );
    const states = new Map<string, CrashState>();
    this.points.forEach((point, index) => {
      for (const fs of this.statesAt(point)) {
        const key = fs.describe();
        const state = states.get(key) ?? { fs, points: [], final: false, describe: () => key };
        if (state.points.at(-1) !== index) state.points.push(index);
        state.final ||= index === this.points.length - 1;
        states.set(key, state);
      }
    });
    return [...states.values()];
  }

  /** Every file under `dir` (all of them by default) with its text, in path order. */
  files(dir = "/"): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (ino: Ino, path: string) => {
      const node = this.nodes.get(ino)!;
      if (node.kind === "file") out.set(path, Buffer.from(node.data).toString("utf8"));
      else
        for (const [name, child] of [...node.entries].sort(([a], [b]) => a.localeCompare(b)))
          walk(child, posix.join(path, name));
    };
    walk(this.lookup(dir, "files"), dir);
    return out;
  }

  /** Every folder and file with its text, one a line. */
  describe(): string {
    const lines: string[] = [];
    const walk = (ino: Ino, path: string) => {
      const node = this.nodes.get(ino)!;
      if (node.kind === "file")
        return lines.push(`${path}: ${JSON.stringify(Buffer.from(node.data).toString("utf8"))}`);
      lines.push(path.endsWith("/") ? path : `${path}/`);
      for (const [name, child] of [...node.entries].sort(([a], [b]) => a.localeCompare(b)))
        walk(child, posix.join(path, name));
    };
    walk(ROOT, "/");
    return lines.join("\n");
  }

  private *statesAt(point: CrashPoint): Generator<RecordingFs> {
    const n = point.pending.length;
    for (let mask = 0; mask < 2 ** n; mask++) {
      const dirs = new Map([...point.dirs].map(([ino, names]) => [ino, new Map(names)]));
      point.pending.forEach((change, i) => {
        if (!(mask & (2 ** i))) return;
        const names = dirs.get(change.dir)!;
        for (const [name, ino] of change.names) {
          if (ino === null) names.delete(name);
          else names.set(name, ino);
        }
      });
      const reachable: Ino[] = [];
      const walk = (ino: Ino) => {
        const names = dirs.get(ino);
        if (!names) return reachable.push(ino);
        for (const child of names.values()) walk(child);
      };
      walk(ROOT);
      const files = [...new Set(reachable)];
      const choices = files.map((ino) => contentsAfterCut(point.files.get(ino)!));
      for (let pick = 0; pick < choices.reduce((p, c) => p * c.length, 1); pick++) {
        const fs = new RecordingFs();
        let rest = pick;
        files.forEach((ino, i) => {
          const options = choices[i]!;
          const data = options[rest % options.length]!;
          rest = Math.floor(rest / options.length);
          fs.nodes.set(ino, { kind: "file", data, durable: data, unsynced: [], mtimeMs: 0 });
        });
        for (const [ino, names] of dirs)
          fs.nodes.set(ino, { kind: "dir", entries: new Map(names), durable: new Map(names) });
        fs.nextIno = this.nextIno;
        fs.barrier();
        yield fs;
      }
    }
  }

  private point(label: string): void {
    const files: CrashPoint["files"] = new Map();
    const dirs: CrashPoint["dirs"] = new Map();
    for (const [ino, node] of this.nodes) {
      if (node.kind === "file") files.set(ino, { durable: node.durable, unsynced: node.unsynced });
      else dirs.set(ino, node.durable);
    }
    this.points.push({ label, files, dirs, pending: [...this.pending] });
  }

  private change(label: string, dir: Ino, names: [string, Ino | null][]): void {
    const node = this.nodes.get(dir) as DirNode;
    for (const [name, ino] of names) {
      if (ino === null) node.entries.delete(name);
      else node.entries.set(name, ino);
    }
    this.pending.push({ dir, names });
    this.point(label);
  }

  private lookup(path: string, op: string): Ino {
    let ino = ROOT;
    for (const part of posix.resolve(path).split("/").filter(Boolean)) {
      const node = this.nodes.get(ino)!;
      if (node.kind !== "dir") throw fsError("ENOTDIR", op, path);
      const next = node.entries.get(part);
      if (next === undefined) throw fsError("ENOENT", op, path);
      ino = next;
    }
    return ino;
  }

  private node(path: string, op: string): Node {
    return this.nodes.get(this.lookup(path, op))!;
  }

  private parent(path: string, op: string): Ino {
    const ino = this.lookup(dirname(posix.resolve(path)), op);
    if (this.nodes.get(ino)!.kind !== "dir") throw fsError("ENOTDIR", op, path);
    return ino;
  }

  private entry(path: string): Ino | undefined {
    const parent = this.nodes.get(this.parent(path, "lookup")) as DirNode;
    return parent.entries.get(basename(path));
  }

  create(path: string, _mode: number): Promise<WritableFile> {
    return this.run(() => {
      const dir = this.parent(path, "create");
      if (this.entry(path) !== undefined) throw fsError("EEXIST", "create", path);
      const ino = this.nextIno++;
      const file: FileNode = {
        kind: "file",
        data: new Uint8Array(),
        durable: new Uint8Array(),
        unsynced: [],
        mtimeMs: ++this.clock,
      };
      this.nodes.set(ino, file);
      this.change(`create ${path}`, dir, [[basename(path), ino]]);
      let closed = false;
      const open = (op: string) => {
        if (closed) throw fsError("EBADF", op, path);
      };
      return {
        write: (data) =>
          this.run(() => {
            open("write");
            const bytes = typeof data === "string" ? Buffer.from(data) : Uint8Array.from(data);
            const w = { offset: file.data.length, bytes };
            Object.assign(file, {
              data: applyWrite(file.data, w),
              unsynced: [...file.unsynced, w],
              mtimeMs: ++this.clock,
            });
            this.point(`write ${bytes.length} bytes to ${path}`);
          }),
        sync: () =>
          this.run(() => {
            open("sync");
            Object.assign(file, { durable: file.data, unsynced: [] });
            this.point(`fsync ${path}`);
          }),
        close: () => this.run(() => void (open("close"), (closed = true))),
      };
    });
  }

  readFile(path: string): Promise<string> {
    return this.run(() => {
      const node = this.node(path, "open");
      if (node.kind !== "file") throw fsError("EISDIR", "read", path);
      return Buffer.from(node.data).toString("utf8");
    });
  }

  readdir(dir: string): Promise<string[]> {
    return this.run(() => {
      const node = this.node(dir, "scandir");
      if (node.kind !== "dir") throw fsError("ENOTDIR", "scandir", dir);
      return [...node.entries.keys()].sort();
    });
  }

  stat(path: string): Promise<{ mtimeMs: number }> {
    return this.run(() => {
      const node = this.node(path, "stat");
      return { mtimeMs: node.kind === "file" ? node.mtimeMs : 0 };
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.run(() => {
      const ino = this.lookup(from, "rename");
      const dir = this.parent(to, "rename");
      if (dir !== this.parent(from, "rename"))
        throw new Error("a rename across folders is not modelled");
      if (this.nodes.get(ino)!.kind !== "file")
        throw new Error("renaming a folder is not modelled");
      // POSIX: renaming one name of an inode onto another of the same inode does nothing.
      if (this.entry(to) === ino) return;
      this.change(`rename ${from} -> ${to}`, dir, [
        [basename(to), ino],
        [basename(from), null],
      ]);
    });
  }

  link(from: string, to: string): Promise<void> {
    return this.run(() => {
      const ino = this.lookup(from, "link");
      if (this.nodes.get(ino)!.kind !== "file") throw fsError("EPERM", "link", from);
      const dir = this.parent(to, "link");
      if (this.entry(to) !== undefined) throw fsError("EEXIST", "link", to);
      this.change(`link ${from} -> ${to}`, dir, [[basename(to), ino]]);
    });
  }

  unlink(path: string): Promise<void> {
    return this.run(() => {
      const ino = this.lookup(path, "unlink");
      if (this.nodes.get(ino)!.kind !== "file") throw fsError("EISDIR", "unlink", path);
      this.change(`unlink ${path}`, this.parent(path, "unlink"), [[basename(path), null]]);
    });
  }

  mkdir(dir: string, _mode: number): Promise<string | undefined> {
    return this.run(() => {
      let first: string | undefined;
      let path = "/";
      for (const part of posix.resolve(dir).split("/").filter(Boolean)) {
        const parent = this.lookup(path, "mkdir");
        path = posix.join(path, part);
        const existing = (this.nodes.get(parent) as DirNode).entries.get(part);
        if (existing !== undefined) {
          if (this.nodes.get(existing)!.kind !== "dir") throw fsError("EEXIST", "mkdir", path);
          continue;
        }
        const ino = this.nextIno++;
        this.nodes.set(ino, { kind: "dir", entries: new Map(), durable: new Map() });
        this.change(`mkdir ${path}`, parent, [[part, ino]]);
        first ??= path;
      }
      return first;
    });
  }

  fsyncDir(dir: string): Promise<void> {
    return this.run(() => {
      const ino = this.lookup(dir, "open");
      const node = this.nodes.get(ino)!;
      if (node.kind !== "dir") throw fsError("ENOTDIR", "fsync", dir);
      node.durable = new Map(node.entries);
      this.pending = this.pending.filter((c) => c.dir !== ino);
      this.point(`fsync folder ${dir}`);
    });
  }

  /** Runs an operation as a promise: a throw becomes a rejection. */
  private run<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
}
