import { readFile } from "node:fs/promises";
import type {
  ContainerRuntime,
  ContainerStatus,
  HealthStatus,
  ImageInfo,
} from "@archy/runtime-podman";
import type { AppManifest } from "../manifest/index.js";
import { configHash, containerName, LABEL_APP } from "../manifest/spec.js";
import { errorCode, errorText } from "../errors.js";
import type { ObservedApp } from "../types.js";
import { markOomKills, type OomParts } from "./oom.js";

/** What podman reports at one moment: every container and every image. */
export interface Observation {
  containers: ContainerStatus[];
  images: ImageInfo[];
}

/**
 * One observation: one `podman ps` and one `podman images`, whatever the
 * number of apps. One after the other: at the same time they contend for the
 * store's lock and take longer (77 ms against 57 ms measured here).
 */
export async function observe(runtime: ContainerRuntime, oom?: OomParts): Promise<Observation> {
  const containers = await runtime.listContainers();
  const images = await runtime.listImages();
  if (oom) await markOomKills(oom, containers);
  return { containers, images };
}

/** The `archy-<id>` container of an app, whoever made it. */
export const containerOf = (containers: ContainerStatus[], app: AppManifest) =>
  containers.find((c) => c.name === containerName(app.id)) ?? null;

/** Containers labelled for an app that is not among `known`. */
export const orphansAmong = (containers: ContainerStatus[], known: Iterable<string>) => {
  const ids = new Set(known);
  return containers.filter(
    (c) => c.labels[LABEL_APP] !== undefined && !ids.has(c.labels[LABEL_APP]),
  );
};

/** The id of the local image a reference names (short names as podman resolves them), or null. */
export function imageIdFor(images: ImageInfo[], ref: string): string | null {
  const candidates = ref.includes("/")
    ? [ref]
    : [ref, `localhost/${ref}`, `docker.io/library/${ref}`];
  const withTag = candidates.flatMap((c) =>
    /:[^/]+$/.test(c) || c.includes("@") ? [c] : [c, `${c}:latest`],
  );
  return images.find((i) => i.names.some((n) => withTag.includes(n)))?.id ?? null;
}

/** As `imageIdFor`, asking podman itself for a short name the list does not resolve. */
export async function resolveImageId(
  runtime: ContainerRuntime,
  images: ImageInfo[],
  ref: string,
): Promise<string | null> {
  const id = imageIdFor(images, ref);
  if (id !== null || ref.startsWith("localhost/") || ref.includes("/")) return id;
  return runtime.imageId(ref).catch(() => null);
}

/**
 * The config hash the app's container should carry; null while its image is
 * absent. A config file that does not exist counts as absent; one that exists
 * but cannot be read (EACCES, EISDIR, EIO) throws: its content is unknown, so
 * no hash can say whether the container's config changed.
 */
export async function wantedHash(app: AppManifest, imageId: string | null): Promise<string | null> {
  if (imageId === null) return null;
  const files: Record<string, Buffer | null> = {};
  for (const f of app.configFiles)
    files[f] = await readFile(f).catch((error: unknown) => {
      if (errorCode(error) === "ENOENT") return null;
      throw new Error(`cannot read config file ${f}: ${errorText(error)}`, { cause: error });
    });
  return configHash(app, imageId, files);
}

/** An app as one observation shows it, with the hash it should carry and archy's view of its health. */
export async function observeApp(
  app: AppManifest,
  containers: ContainerStatus[],
  imageId: string | null,
  health: (app: AppManifest, c: ContainerStatus) => HealthStatus,
): Promise<ObservedApp> {
  return observed(app, containerOf(containers, app), imageId, health);
}

/**
 * An app's container as seen, with the hash it should carry (see
 * `wantedHash`; a config file it cannot read is `configError`) and archy's
 * view of its health.
 */
export async function observed(
  app: AppManifest,
  container: ContainerStatus | null,
  imageId: string | null,
  health: (app: AppManifest, c: ContainerStatus) => HealthStatus,
): Promise<ObservedApp> {
  const seen: ObservedApp = {
    container,
    imageId,
    wantedHash: null,
    health: container ? health(app, container) : null,
  };
  try {
    seen.wantedHash = await wantedHash(app, imageId);
  } catch (error) {
    seen.configError = errorText(error);
  }
  return seen;
}
