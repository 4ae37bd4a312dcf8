import type { ContainerRuntime } from "@archy/runtime-podman";

/**
 * `runtime`, with its first `listContainers()` (and, with `images`, its first
 * `listImages()`) already asked of podman now: the answer a reconciler's
 * observation then takes. Without a daemon, `archy ps`, `up` and `plan` start
 * podman's `ps` (and `images`) this way before they load the reconciler and
 * read the manifests, so podman works meanwhile instead of after. Any other
 * call, and any later one, goes to podman as usual; a failure of an early
 * call is reported to the call that takes its answer. Resolves a turn of the
 * event loop later, once the calls have loaded execa and started podman.
 */
export async function observeEarly(
  runtime: ContainerRuntime,
  opts: { images: boolean },
): Promise<ContainerRuntime> {
  const containers = runtime.listContainers();
  const early = new Map<PropertyKey, Promise<unknown>>([["listContainers", containers]]);
  // One after the other: two podman processes at once contend for the store's lock.
  if (opts.images) {
    const images = () => runtime.listImages();
    early.set("listImages", containers.then(images, images));
  }
  for (const answer of early.values()) answer.catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  return new Proxy(runtime, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const answer = args.length === 0 ? early.get(prop) : undefined;
        if (answer) {
          early.delete(prop);
          return answer;
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
