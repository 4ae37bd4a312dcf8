import { RuntimeError, type ContainerRuntime } from "@archy/runtime-podman";

/** Failures of a podman that answers, badly: worth asking again before giving up. */
const PASSING = new Set(["EPODMANCOMMAND", "EPODMANOUTPUT"]);

/**
 * podman's version, the daemon's first podman call. A podman that answers
 * with an error or garbage (a store locked for a moment) is asked again,
 * `attempts` times in all, `delayMs` apart: a daemon started while podman
 * hiccups does not exit 4. A missing binary or a timeout throws at once.
 */
export async function podmanVersion(
  runtime: Pick<ContainerRuntime, "version">,
  opts: { attempts?: number; delayMs?: number; wait?: (ms: number) => Promise<void> } = {},
): Promise<string> {
  const attempts = opts.attempts ?? 3;
  const wait = opts.wait ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let i = 1; ; i++) {
    try {
      return await runtime.version();
    } catch (error) {
      if (i >= attempts || !RuntimeError.isInstance(error) || !PASSING.has(error.code)) throw error;
      await wait(opts.delayMs ?? 1_000);
    }
  }
}
