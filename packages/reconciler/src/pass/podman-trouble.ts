import type { Clock, ContainerRuntime } from "@archy/runtime-podman";
import { errorCode } from "../errors.js";

/** Failures that say podman itself is in trouble, whatever it was asked. */
const TROUBLE = new Set(["EPODMANTIMEOUT", "EPODMANOUTPUT", "EPODMANUNAVAILABLE"]);

/**
 * Calls that only read: any failure of theirs but "no such container/image"
 * is podman's, not an app's (a start may fail for the app's own sake).
 */
const READS = new Set([
  "listContainers",
  "getContainerStatus",
  "listImages",
  "imageExists",
  "imageId",
  "containerAddress",
  "version",
]);
const NOT_FOUND = new Set(["ECONTAINERNOTFOUND", "EIMAGENOTFOUND"]);

/**
 * The runtime, watched: `troubleAt()` is when a call last failed because of
 * podman itself (a timeout, output it could not read, a read that failed),
 * whoever made it (a pass, a settle's poll, a retry). The loop does not
 * trust an event stream opened near such a failure.
 */
export function watchPodmanTrouble(
  runtime: ContainerRuntime,
  clock: Clock,
): { runtime: ContainerRuntime; troubleAt: () => number | null } {
  let at: number | null = null;
  const note = (method: string, error: unknown) => {
    const code = errorCode(error);
    if (code === undefined) return;
    if (TROUBLE.has(code) || (READS.has(method) && !NOT_FOUND.has(code))) at = clock.now();
  };
  const watched = new Proxy(runtime, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function" || typeof prop !== "string") return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) result.catch((error: unknown) => note(prop, error));
        return result;
      };
    },
  });
  return { runtime: watched, troubleAt: () => at };
}
