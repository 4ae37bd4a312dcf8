import { EventStreamError, PodmanUnavailableError } from "./errors.js";
import { parseEventLine } from "./parse.js";
import type { PodmanInvocation } from "./run.js";
import { streamPodman } from "./stream.js";
import type { ContainerEvent } from "./types.js";

/**
 * Streams `podman events --format json` (containers only) line by line.
 * Aborting the signal ends the iterator cleanly and kills podman; if podman
 * exits on its own, EventStreamError is thrown so the caller can reconnect.
 * `since` (ms since the epoch) first replays what happened from then on:
 * a stream reopened with the time the last one ended misses nothing in
 * between, nor while podman gets ready.
 */
export async function* podmanEvents(
  podman: PodmanInvocation,
  opts: { signal?: AbortSignal; since?: number } = {},
): AsyncIterable<ContainerEvent> {
  if (opts.signal?.aborted) return;
  const since = opts.since !== undefined ? ["--since", new Date(opts.since).toISOString()] : [];
  let end;
  try {
    end = yield* streamPodman(
      podman,
      ["events", "--format", "json", "--filter", "type=container", ...since],
      "stdout",
      opts.signal,
      parseEventLine,
    );
  } catch (error) {
    throw new EventStreamError((error as Error).message, { cause: error });
  }
  if (end.aborted) return;
  if (end.spawnError)
    throw new PodmanUnavailableError(podman.podmanPath, end.spawnError.message, {
      cause: end.spawnError,
    });
  throw new EventStreamError(
    `podman events exited (code ${end.exitCode ?? "?"})${end.tail ? `: ${end.tail.trim()}` : ""}`,
  );
}
