import { PodmanCommandError, PodmanTimeoutError, PodmanUnavailableError } from "../errors.js";
import type { ContainerModel } from "./container.js";
import type { CallScripts } from "./scripts.js";

/**
 * The fake's batched `podman start`, name by name: first the scripts of
 * "startContainers" for that name (FakeRuntime.startContainers tells what
 * they do), then podman's answer for a missing, a paused, a running or a
 * startable container.
 */
export async function startEach(
  names: string[],
  scripts: CallScripts,
  model: ContainerModel,
): Promise<{ started: string[]; failed: { name: string; error: string }[] }> {
  const result: { started: string[]; failed: { name: string; error: string }[] } = {
    started: [],
    failed: [],
  };
  for (const name of names) {
    try {
      const hang = scripts.play("startContainers", [name]);
      if (hang) await hang;
    } catch (error) {
      if (PodmanTimeoutError.isInstance(error) || PodmanUnavailableError.isInstance(error))
        throw error;
      const text = PodmanCommandError.isInstance(error)
        ? error.stderr.trim()
        : error instanceof Error
          ? error.message
          : String(error);
      result.failed.push({ name, error: text });
      continue;
    }
    const c = model.containers.get(name);
    if (!c) {
      result.failed.push({
        name,
        error: `Error: no container with name or ID "${name}" found: no such container`,
      });
    } else if (c.state === "paused") {
      result.failed.push({
        name,
        error: `Error: unable to start container "${c.id}": container ${c.id} must be in Created or Stopped state to be started: container state improper`,
      });
    } else {
      if (c.state !== "running") model.start(c);
      result.started.push(name);
    }
  }
  return result;
}
