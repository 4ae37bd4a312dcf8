// `archy update check`: which apps have a newer image in their registry,
// found without pulling. What runs is the image of the app's container (its
// image id), known by the digests podman recorded when it pulled it (per
// name, and the one it was pulled by, which stays when the tag moves on);
// what is newer is the digest the reference points to now.
import {
  parseReference,
  RegistryError,
  type ContainerRuntime,
  type RegistryProblem,
} from "@archy/runtime-podman";
import type { AppManifest } from "../manifest/index.js";
import { containerName } from "../manifest/spec.js";
import { errorText } from "../errors.js";

export type UpdateCheckStatus =
  /** The reference points to the digest that runs. */
  | "up-to-date"
  /** It points to another digest. */
  | "update-available"
  /** Built locally, or a localhost/ image: no registry to ask. */
  | "local"
  /** The registry did not say (see `error`). */
  | "error";

export interface UpdateCheck {
  app: string;
  image: string;
  status: UpdateCheckStatus;
  /** The digest of the image that runs (or would run: the local image of the reference); null when none is known. */
  running: string | null;
  /** The digest the reference points to now; null when not asked or not answered. */
  latest: string | null;
  /** Why the registry did not say; present with status "error". */
  error?: string;
  problem?: RegistryProblem;
}

/** Asks a registry what a reference points to now (remoteDigest, in production). */
export type DigestLookup = (reference: string) => Promise<string>;

/**
 * Checks each app: one `podman ps` and one `podman images` for all, then one
 * registry request per distinct reference, all at once. Never throws for an
 * app's sake: its error is in its entry.
 */
export async function checkUpdates(
  apps: readonly AppManifest[],
  runtime: Pick<ContainerRuntime, "listContainers" | "listImages">,
  lookup: DigestLookup,
): Promise<UpdateCheck[]> {
  const [containers, images] = await Promise.all([runtime.listContainers(), runtime.listImages()]);
  const asked = new Map<string, Promise<string>>();
  return Promise.all(
    apps.map(async (app): Promise<UpdateCheck> => {
      const image = app.container.image;
      const base = { app: app.id, image, running: null, latest: null };
      const ref = parseReference(image);
      if (app.container.build !== null || ref.registry === "localhost")
        return { ...base, status: "local" };
      const container = containers.find((c) => c.name === containerName(app.id));
      const local = container?.imageId
        ? images.find((i) => i.id === container.imageId)
        : images.find((i) => i.names.includes(image));
      // podman records a digest per repository it was pulled from: the one of this reference's.
      const repo = `${ref.registry}/${ref.repository}@`;
      const digests = (local?.digests ?? [])
        .filter((d) => d.startsWith(repo))
        .map((d) => d.slice(d.indexOf("@") + 1));
      // The digest it was pulled by outlives its names (a newer pull takes the tag).
      if (local?.digest && !digests.includes(local.digest)) digests.push(local.digest);
      const running = digests[0] ?? null;
      try {
        let pending = asked.get(image);
        if (!pending) asked.set(image, (pending = lookup(image)));
        const latest = await pending;
        return {
          ...base,
          running: digests.includes(latest) ? latest : running,
          latest,
          status: digests.includes(latest) ? "up-to-date" : "update-available",
        };
      } catch (error) {
        return {
          ...base,
          running,
          status: "error",
          error: errorText(error),
          ...(RegistryError.isInstance(error) ? { problem: error.problem } : {}),
        };
      }
    }),
  );
}
