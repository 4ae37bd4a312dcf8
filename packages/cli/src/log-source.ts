// An app's container log as `archy logs` and the daemon's log stream read it:
// the runtime's logs with the app's secret env values shown as `***`.
import { containerName, redactText, type AppManifest } from "@archy/reconciler";
import type { ContainerRuntime } from "@archy/runtime-podman";
import { CliError, EXIT } from "./cli-error.js";

/** One line of a container's log. */
export interface LogLine {
  line: string;
  /**
   * Which of the container's streams it came from. The runtime's log API
   * merges the two, so this is "stdout" for every line until it tells them apart.
   */
  stream: "stdout" | "stderr";
}

/** An app's container log: the last `tail` lines (all without it), then, with `follow`, new ones as they come until `signal` aborts or the container stops. */
export type LogSource = (
  id: string,
  opts: { tail?: number; follow: boolean; signal: AbortSignal },
) => AsyncIterable<LogLine>;

/**
 * The runtime's logs facility (the one `archy logs` reads) as a LogSource,
 * with the values of the app's secret env keys shown as `***` (SPEC section 8).
 */
export function createLogSource(
  runtime: Pick<ContainerRuntime, "getContainerLogs" | "followContainerLogs">,
  apps: () => readonly AppManifest[],
): LogSource {
  return async function* logs(id, { tail, follow, signal }) {
    const name = containerName(id);
    const env = apps().find((app) => app.id === id)?.container.env ?? {};
    const opts = tail !== undefined ? { tail } : {};
    try {
      const lines = follow
        ? runtime.followContainerLogs(name, { ...opts, signal })
        : await runtime.getContainerLogs(name, opts);
      for await (const line of lines) yield { line: redactText(line, env), stream: "stdout" };
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === "ECONTAINERNOTFOUND")
        throw new CliError(`app ${id} has no container (${name})`, EXIT.failed);
      throw error;
    }
  };
}
