import { ContainerNotFoundError } from "./errors.js";
import type { RunResult } from "./run.js";
import type { ContainerStatus } from "./types.js";

const MISSING_NAME = /no container with name or ID "([^"]+)" found/;
const UNABLE_TO_START = /^Error: unable to start container "[0-9a-f]{64}"/;

/** What one `podman start` of several names answered: the names it printed and its `Error:` messages. */
export interface StartBatch {
  exitCode: number;
  started: string[];
  errors: string[];
}

/** Reads one `podman start` of several names: the names it printed (all of them on exit 0) and its `Error:` messages. */
export function readStartBatch(
  names: string[],
  { stdout, stderr, exitCode }: RunResult,
): StartBatch {
  if (exitCode === 0) return { exitCode, started: names, errors: [] };
  const printed = new Set(stdout.split("\n").map((l) => l.trim()));
  return {
    exitCode,
    started: names.filter((n) => printed.has(n)),
    errors: errorMessages(stderr),
  };
}

/** podman's `Error: …` messages on stderr, each with the lines that continue it (log lines left out). */
function errorMessages(stderr: string): string[] {
  const messages: string[] = [];
  for (const line of stderr.split("\n")) {
    if (line.startsWith("Error: ")) messages.push(line);
    else if (messages.length > 0 && line.trim() !== "" && !line.startsWith("time="))
      messages.push(`${messages.pop() ?? ""}\n${line}`);
  }
  return messages;
}

/** podman's only error, when it is about the only name it did not print as started. */
export function soleFailure(
  rest: string[],
  errors: string[],
): { name: string; error: string } | null {
  const [name, ...moreNames] = rest;
  const [error, ...moreErrors] = errors;
  if (name === undefined || error === undefined || moreNames.length + moreErrors.length > 0)
    return null;
  return UNABLE_TO_START.test(error) || MISSING_NAME.exec(error)?.[1] === name
    ? { name, error }
    : null;
}

/** The message of a batched start about this container: by its id, or its name when missing. */
function startError(errors: string[], name: string, id: string | undefined): string | undefined {
  return errors.find(
    (e) => (id !== undefined && e.includes(`"${id}"`)) || MISSING_NAME.exec(e)?.[1] === name,
  );
}

/**
 * Tells the names a batched start left unaccounted for apart by their
 * inspected `statuses`: the missing and the failed (podman's errors name the
 * id) go to `failed`, the running to `started`; returns the ones podman never tried.
 */
export function sortUnaccounted(
  names: string[],
  errors: string[],
  statuses: ContainerStatus[],
  started: Set<string>,
  failed: Map<string, string>,
): { name: string; id: string }[] {
  const untried: { name: string; id: string }[] = [];
  for (const name of names) {
    const s = statuses.find((c) => c.name === name || c.id.startsWith(name));
    const own = startError(errors, name, s?.id);
    if (!s) failed.set(name, own ?? new ContainerNotFoundError(name).message);
    else if (s.state === "running") started.add(name);
    else if (own) failed.set(name, own);
    else untried.push({ name, id: s.id });
  }
  return untried;
}

/** Reads the second `podman start`, of the names the first one never tried. */
export function settleRetried(
  untried: { name: string; id: string }[],
  second: StartBatch,
  started: Set<string>,
  failed: Map<string, string>,
): void {
  for (const { name, id } of untried) {
    if (second.started.includes(name)) started.add(name);
    else
      failed.set(
        name,
        startError(second.errors, name, id) ??
          second.errors.at(-1) ??
          `podman start exited ${second.exitCode}`,
      );
  }
}

/** What one share of a start settled: the names started and the failed ones with their errors. */
export interface ShareOutcome {
  started: Set<string>;
  failed: Map<string, string>;
}

/** `names` dealt round-robin into `parallel` shares (at least one, at most one per name). */
export function splitShares(names: string[], parallel: number): string[][] {
  const count = Math.max(1, Math.min(Math.floor(parallel) || 1, names.length));
  return Array.from({ length: count }, (_, s) => names.filter((_, i) => i % count === s));
}

/**
 * The shares' outcomes as one answer, in the order of `names`: a share that
 * failed as a whole fails its own names; when every share failed, so does the
 * call (podman unavailable, say): the first failure is thrown.
 */
export function mergeShares(
  names: string[],
  shares: string[][],
  outcomes: PromiseSettledResult<ShareOutcome>[],
): { started: string[]; failed: { name: string; error: string }[] } {
  const firstFailure = outcomes.find((o) => o.status === "rejected");
  if (outcomes.every((o) => o.status === "rejected")) throw firstFailure!.reason;
  const started = new Set<string>();
  const failed = new Map<string, string>();
  outcomes.forEach((o, s) => {
    if (o.status === "fulfilled") {
      for (const n of o.value.started) started.add(n);
      for (const [n, e] of o.value.failed) failed.set(n, e);
    } else {
      const error = o.reason instanceof Error ? o.reason.message : String(o.reason);
      for (const n of shares[s]!) failed.set(n, error);
    }
  });
  return {
    started: names.filter((n) => started.has(n)),
    failed: names.flatMap((n) => {
      const error = failed.get(n);
      return error === undefined ? [] : [{ name: n, error }];
    }),
  };
}
