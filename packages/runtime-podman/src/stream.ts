import type { ResultPromise } from "execa";
import { loadExeca } from "./execa.js";
import { podmanEnv, type PodmanInvocation } from "./run.js";

/** How a streaming podman ended, with the last 4 KB of its stderr (or of everything, for "all"). */
export interface StreamEnd {
  aborted: boolean;
  exitCode: number | undefined;
  spawnError: Error | undefined;
  tail: string;
}

/**
 * Runs a long-lived podman command and yields `map(line)` for each line of
 * `from` (null results are skipped). Ends cleanly when `signal` aborts (podman
 * is killed); returns how podman ended.
 */
export async function* streamPodman<T>(
  podman: PodmanInvocation,
  args: string[],
  from: "stdout" | "all",
  signal: AbortSignal | undefined,
  map: (line: string) => T | null,
): AsyncGenerator<T, StreamEnd> {
  const execa = await loadExeca();
  const child: ResultPromise = execa(podman.podmanPath, [...podman.globalArgs, ...args], {
    env: podmanEnv(podman.env), // without systemd's INVOCATION_ID and NOTIFY_SOCKET: see podmanEnv
    all: from === "all",
    reject: false,
    stdin: "ignore",
    buffer: false,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  let tail = "";
  (from === "all" ? child.all : child.stderr)?.on("data", (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4096);
  });
  try {
    for await (const line of child.iterable({ from })) {
      const value = map(String(line));
      if (value !== null) yield value;
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
  } finally {
    if (child.exitCode === null) child.kill();
  }
  const result = await child;
  const spawnError =
    result.failed && result.exitCode === undefined
      ? (result.cause as Error | undefined)
      : undefined;
  return { aborted: signal?.aborted === true, exitCode: result.exitCode, spawnError, tail };
}
