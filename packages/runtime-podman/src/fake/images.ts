import { createHash } from "node:crypto";
import { ImageNotFoundError } from "../errors.js";
import type { ImageInfo } from "../types.js";

/**
 * The fake's images, as podman keeps them: names pointing at ids, ids that
 * outlive their names (a pull that moves a tag leaves the old one, held by
 * the containers that use it), and a registry that serves what was pulled
 * or published under a reference.
 */
export class FakeImages {
  /** Every name (reference) and the id it points to. */
  readonly names = new Map<string, string>();
  /** Every image id in the store, named or not. */
  private readonly ids = new Set<string>();
  /** What the registry serves under a reference when it differs from the local image (publish). */
  private readonly published = new Map<string, string>();
  private readonly registry: Set<string>;
  private seq = 0;

  constructor(registry: Iterable<string>) {
    this.registry = new Set(registry);
  }

  /** A new image under `name`; returns its id. */
  add(name: string): string {
    const id = this.newId(name);
    this.names.set(name, id);
    this.ids.add(id);
    return id;
  }

  /** The registry gets a new image under `ref` (a push); returns its id. */
  publish(ref: string): string {
    const id = this.newId(`${ref}#published`);
    this.published.set(ref, id);
    this.registry.add(ref);
    return id;
  }

  /** `podman pull`: what the registry serves under `ref`, or what is here already. */
  pull(ref: string): void {
    if (!this.registry.has(ref) && !this.names.has(ref)) throw new ImageNotFoundError(ref);
    const published = this.published.get(ref);
    if (published !== undefined) {
      this.names.set(ref, published);
      this.ids.add(published);
    } else if (!this.names.has(ref)) this.add(ref);
  }

  /** `podman tag`: `target` names the image `source` (a name or an id). */
  tag(source: string, target: string): void {
    const id = this.names.get(source) ?? (this.ids.has(source) ? source : null);
    if (id === null) throw new ImageNotFoundError(source);
    this.names.set(target, id);
  }

  /** `podman rmi` without force (see ContainerRuntime.removeImage); `used` says whether a container uses an id. */
  remove(image: string, used: (id: string) => boolean): boolean {
    const named = this.names.get(image);
    if (named !== undefined) {
      const names = [...this.names.values()].filter((other) => other === named).length;
      if (names === 1 && used(named)) return false;
      this.names.delete(image);
      return true;
    }
    if (!this.ids.has(image) || [...this.names.values()].includes(image) || used(image))
      return false;
    this.ids.delete(image);
    return true;
  }

  /** `podman images`: an image from a registry carries its repository's digest (here, of its id). */
  list(): ImageInfo[] {
    const byId = new Map<string, string[]>();
    for (const [name, id] of this.names) byId.set(id, [...(byId.get(id) ?? []), name]);
    return [...byId].map(([id, names]) => {
      const remote = names.filter((n) => !n.startsWith("localhost/"));
      return {
        id,
        names,
        digests: remote.map((n) => `${n.replace(/:[^:/]*$/, "")}@sha256:${id}`),
        digest: remote.length > 0 ? `sha256:${id}` : null,
      };
    });
  }

  private newId(seed: string): string {
    return createHash("sha256").update(`${seed}#${this.seq++}`).digest("hex");
  }
}
