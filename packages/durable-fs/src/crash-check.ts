import { RecordingFs } from "./recording-fs.js";

/** One write path to check: the state before, the write, and how the next run reads it back. */
export interface WritePath<T> {
  name: string;
  /** Brings the filesystem to the state before the write; it is all made durable. */
  setup?: (fs: RecordingFs) => Promise<void>;
  /** The write under test; once it resolves, the write is acknowledged. */
  write: (fs: RecordingFs) => Promise<void>;
  /** Reads the files the way the next run would (the real loader); a throw is a violation. */
  load: (fs: RecordingFs) => Promise<T>;
}

export interface Violation {
  /** The crash points (0: before the write's first operation) that can leave this state. */
  points: number[];
  /** The files of the crash state. */
  state: string;
  /** What loading it gave (JSON) or the error it threw. */
  found: string;
  /** What it had to give: the old or the new content, or only the new one once acknowledged. */
  expected: string;
}

export interface WritePathReport {
  name: string;
  /** The write's operations, one line each (crash point n is after the n-th). */
  operations: string[];
  /** Distinct crash states loaded. */
  states: number;
  violations: Violation[];
}

/**
 * Runs a write on a RecordingFs, enumerates every state a power cut can leave
 * and loads each: it must give the old content or the new one (compared as
 * JSON), and the new one in every state a cut after the write resolved can
 * leave. Old and new must differ, or the check would prove nothing.
 */
export async function checkWritePath<T>(path: WritePath<T>): Promise<WritePathReport> {
  const fs = new RecordingFs();
  await path.setup?.(fs);
  fs.barrier();
  const before = JSON.stringify(await path.load(fs.copy()));
  await path.write(fs);
  const after = JSON.stringify(await path.load(fs.copy()));
  if (before === after) throw new Error(`${path.name}: the write leaves what load reads unchanged`);
  const violations: Violation[] = [];
  const states = fs.crashStates();
  for (const state of states) {
    let found: string;
    try {
      found = JSON.stringify(await path.load(state.fs));
    } catch (error) {
      found = `load threw ${String(error)}`;
    }
    const ok = found === after || (!state.final && found === before);
    if (!ok)
      violations.push({
        points: state.points,
        state: state.describe(),
        found,
        expected: state.final ? `the new ${after}` : `the old ${before} or the new ${after}`,
      });
  }
  return { name: path.name, operations: fs.operations(), states: states.length, violations };
}

/** A violation in words, for a failing test or a report. */
export function formatViolation(report: WritePathReport, v: Violation): string {
  const label = (p: number) => (p === 0 ? "before the write" : `after ${report.operations[p - 1]}`);
  const more = v.points.length > 1 ? ` (and at ${v.points.length - 1} other points)` : "";
  return [
    `${report.name}: a power cut ${label(v.points.at(-1)!)}${more} can leave`,
    v.state.replace(/^/gm, "  "),
    `which loads as ${v.found}`,
    `expected ${v.expected}`,
  ].join("\n");
}
