import { basename, dirname, posix } from "node:path";
import {
  applyWrite,
  assertEnumerable,
  ROOT,
  treesAfterCut,
  type CrashPoint,
  type DirChange,
  type DiskTree,
  type Ino,
  type Write,
} from "./crash-states.js";
import type { DurableFs, WritableFile } from "./types.js";

/*
 * An in-memory filesystem that records, after every operation, what a power
 * cut could lose (see crash-states.ts for the model), and lists the states a
 * cut can leave. Only the calls of DurableFs; paths are absolute.
 */

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

/** One state a power cut can leave, as a filesystem to load from. */
export interface CrashState {
  fs: RecordingFs;
  /** The crash points (0: before the first recorded operation) that can leave it. */
  points: number[];
  /** Whether a cut after the last recorded operation can leave it. */
  final: boolean;
  /** Its folders and files with their text, one a line. */
  describe(): string;
}

function fsError(code: string, op: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${op} '${path}'`), { code, path });
}

export class RecordingFs implements DurableFs {
  private readonly nodes = new Map<Ino, Node>();
  private nextIno = ROOT + 1;
  private pending: DirChange[] = [];
  private points: CrashPoint[] = [];
  private clock = 0;

  /** An empty filesystem, or the disk a power cut left. */
  constructor(disk?: DiskTree) {
    this.nodes.set(ROOT, { kind: "dir", entries: new Map(), durable: new Map() });
    for (const [ino, names] of disk?.dirs ?? [])
      this.nodes.set(ino, { kind: "dir", entries: new Map(names), durable: new Map() });
    for (const [ino, data] of disk?.files ?? [])
      this.nodes.set(ino, { kind: "file", data, durable: data, unsynced: [], mtimeMs: 0 });
    this.nextIno = Math.max(ROOT, ...this.nodes.keys()) + 1;
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
    const points = [...this.points];
    points.forEach(assertEnumerable); // before the work, not after much of it
    const states = new Map<string, CrashState>();
    points.forEach((point, index) => {
      for (const disk of treesAfterCut(point)) {
        const fs = new RecordingFs(disk);
        const key = fs.describe();
        const state = states.get(key) ?? { fs, points: [], final: false, describe: () => key };
        if (state.points.at(-1) !== index) state.points.push(index);
        state.final ||= index === points.length - 1;
        states.set(key, state);
      }
    });
    return [...states.values()];
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

  async create(path: string, _mode: number): Promise<WritableFile> {
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
      write: async (data) => {
        open("write");
        const bytes = typeof data === "string" ? Buffer.from(data) : Uint8Array.from(data);
        const w = { offset: file.data.length, bytes };
        Object.assign(file, {
          data: applyWrite(file.data, w),
          unsynced: [...file.unsynced, w],
          mtimeMs: ++this.clock,
        });
        this.point(`write ${bytes.length} bytes to ${path}`);
      },
      sync: async () => {
        open("sync");
        Object.assign(file, { durable: file.data, unsynced: [] });
        this.point(`fsync ${path}`);
      },
      close: async () => {
        open("close");
        closed = true;
      },
    };
  }

  async readFile(path: string): Promise<string> {
    const node = this.node(path, "open");
    if (node.kind !== "file") throw fsError("EISDIR", "read", path);
    return Buffer.from(node.data).toString("utf8");
  }

  async readdir(dir: string): Promise<string[]> {
    const node = this.node(dir, "scandir");
    if (node.kind !== "dir") throw fsError("ENOTDIR", "scandir", dir);
    return [...node.entries.keys()].sort();
  }

  async stat(path: string): Promise<{ mtimeMs: number; size: number }> {
    const node = this.node(path, "stat");
    return node.kind === "file"
      ? { mtimeMs: node.mtimeMs, size: node.data.length }
      : { mtimeMs: 0, size: 0 };
  }

  async rename(from: string, to: string): Promise<void> {
    const ino = this.lookup(from, "rename");
    const dir = this.parent(to, "rename");
    if (dir !== this.parent(from, "rename"))
      throw new Error("a rename across folders is not modelled");
    if (this.nodes.get(ino)!.kind !== "file") throw new Error("renaming a folder is not modelled");
    // POSIX: renaming one name of an inode onto another of the same inode does nothing.
    if (this.entry(to) === ino) return;
    this.change(`rename ${from} -> ${to}`, dir, [
      [basename(to), ino],
      [basename(from), null],
    ]);
  }

  async link(from: string, to: string): Promise<void> {
    const ino = this.lookup(from, "link");
    if (this.nodes.get(ino)!.kind !== "file") throw fsError("EPERM", "link", from);
    const dir = this.parent(to, "link");
    if (this.entry(to) !== undefined) throw fsError("EEXIST", "link", to);
    this.change(`link ${from} -> ${to}`, dir, [[basename(to), ino]]);
  }

  async unlink(path: string): Promise<void> {
    const ino = this.lookup(path, "unlink");
    if (this.nodes.get(ino)!.kind !== "file") throw fsError("EISDIR", "unlink", path);
    this.change(`unlink ${path}`, this.parent(path, "unlink"), [[basename(path), null]]);
  }

  async mkdir(dir: string, _mode: number): Promise<string | undefined> {
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
  }

  async fsyncDir(dir: string): Promise<void> {
    const ino = this.lookup(dir, "open");
    const node = this.nodes.get(ino)!;
    if (node.kind !== "dir") throw fsError("ENOTDIR", "fsync", dir);
    node.durable = new Map(node.entries);
    this.pending = this.pending.filter((c) => c.dir !== ino);
    this.point(`fsync folder ${dir}`);
  }
}
