// An image reference as podman reads it: `[host[:port]/]path[:tag][@digest]`.
// docker.io is served by registry-1.docker.io, and its one-word names live
// under library/.

export interface ImageReference {
  /** As written. */
  text: string;
  /** The registry as named in the reference (`docker.io`, `127.0.0.1:5000`). */
  registry: string;
  /** The repository within it (`library/nginx`). */
  repository: string;
  /** The tag, or null when only a digest is given. */
  tag: string | null;
  digest: string | null;
}

const DOCKER_HUB = "docker.io";

/** Whether the first component names a registry (a dot, a port or localhost), as podman decides. */
const isRegistry = (part: string) =>
  part.includes(".") || part.includes(":") || part === "localhost";

/**
 * Parses a reference; an unqualified one (no registry) takes `defaultRegistry`
 * (registries.conf's first unqualified-search registry, docker.io otherwise).
 */
export function parseReference(text: string, defaultRegistry = DOCKER_HUB): ImageReference {
  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  const registry = slash >= 0 && isRegistry(first) ? first : defaultRegistry;
  let path = registry === first ? rest.slice(slash + 1) : rest;
  let tag: string | null = null;
  const colon = path.lastIndexOf(":");
  if (colon > path.lastIndexOf("/")) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
  }
  if (tag === null && digest === null) tag = "latest";
  const repository = registry === DOCKER_HUB && !path.includes("/") ? `library/${path}` : path;
  return { text, registry, repository, tag, digest };
}

/** The host archy talks to for a registry name. */
export const registryEndpoint = (registry: string): string =>
  registry === DOCKER_HUB ? "registry-1.docker.io" : registry;
