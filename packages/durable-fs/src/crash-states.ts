/*
 * What a power cut can leave, after ALICE (Pillai et al., "All File Systems
 * Are Not Created Equal", OSDI 2014) and LazyFS. RecordingFs takes a crash
 * point after every operation that changes something: what is durable, and
 * what is not yet. From one crash point:
 *
 * - a file's bytes are durable once it is fsynced; bytes written since may be
 *   lost, torn (a prefix of a write: 1 byte, half, all but one, and 4096 bytes
 *   for a longer one) or read back as zeros (the size reached the disk, the
 *   data did not);
 * - a name created, linked, renamed or removed in a folder is durable once
 *   that folder is fsynced; until then each such change may or may not have
 *   happened, independently of the others (every subset: no order is assumed,
 *   which is more than ext4 or xfs allow); a rename is one change (both names
 *   or neither). An fsync of a file does not make its name durable.
 */

export type Ino = number;
export const ROOT: Ino = 1;
/** More unsynced folder changes than this at one crash point are refused rather than sampled. */
export const MAX_PENDING_CHANGES = 12;

export interface Write {
  offset: number;
  bytes: Uint8Array;
}
/** A file as a crash point holds it: its durable bytes and the writes since its last fsync. */
export interface FileAtPoint {
  durable: Uint8Array;
  unsynced: readonly Write[];
}
/** One change of names in one folder, not yet durable: null removes the name. */
export interface DirChange {
  dir: Ino;
  names: [string, Ino | null][];
}
export interface CrashPoint {
  label: string;
  files: Map<Ino, FileAtPoint>;
  /** Each folder's durable names. */
  dirs: Map<Ino, ReadonlyMap<string, Ino>>;
  /** The folder changes not yet durable, in the order they were made. */
  pending: readonly DirChange[];
}
/** What is on disk after a power cut: folders' names and files' bytes, nothing unsynced. */
export interface DiskTree {
  dirs: Map<Ino, Map<string, Ino>>;
  files: Map<Ino, Uint8Array>;
}

export function applyWrite(base: Uint8Array, w: Write): Uint8Array {
  const out = new Uint8Array(Math.max(base.length, w.offset + w.bytes.length));
  out.set(base);
  out.set(w.bytes, w.offset);
  return out;
}

/** The distinct contents a power cut can leave in a file. */
export function contentsAfterCut(file: FileAtPoint): Uint8Array[] {
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
  return [...new Map(out.map((c) => [Buffer.from(c).toString("base64"), c])).values()];
}

/** Throws when a crash point has more unsynced folder changes than can be enumerated. */
export function assertEnumerable(point: CrashPoint): void {
  const n = point.pending.length;
  if (n > MAX_PENDING_CHANGES)
    throw new Error(`${n} unsynced folder changes at "${point.label}": too many to enumerate`);
}

/** Every disk a power cut at this crash point can leave (not deduplicated). */
export function* treesAfterCut(point: CrashPoint): Generator<DiskTree> {
  assertEnumerable(point);
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
    const reachable = new Set<Ino>();
    const walk = (ino: Ino): void => {
      const names = dirs.get(ino);
      if (!names) reachable.add(ino);
      else for (const child of names.values()) walk(child);
    };
    walk(ROOT);
    const files = [...reachable];
    const choices = files.map((ino) => contentsAfterCut(point.files.get(ino)!));
    const combinations = choices.reduce((product, c) => product * c.length, 1);
    for (let pick = 0; pick < combinations; pick++) {
      const contents = new Map<Ino, Uint8Array>();
      let rest = pick;
      files.forEach((ino, i) => {
        const options = choices[i]!;
        contents.set(ino, options[rest % options.length]!);
        rest = Math.floor(rest / options.length);
      });
      yield { dirs, files: contents };
    }
  }
}
