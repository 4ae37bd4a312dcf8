// What the target podman of an export lacks, in sentences: each Quadlet key
// archy would have used that is newer than the target, and what was
// written instead (storage.ts, render.ts).
import type { AppManifest } from "@archy/reconciler";
import { compareVersions, type PodmanVersion } from "./keys.js";
import type { Fallback } from "./storage.js";

const list = (names: string[], one: string, many: string) =>
  `${names.length === 1 ? one : many} ${names.join(", ")}`;

const WHAT: Record<string, (names: string[]) => string> = {
  VolumeName: (names) =>
    `${list(names, "the named volume", "the named volumes")} ${names.length === 1 ? "is" : "are"} written on Volume= lines as ${names.length === 1 ? "it is" : "they are"}, without .volume units (podman creates a missing volume when the container starts)`,
  NetworkName: (names) =>
    `${list(names, "the network", "the networks")} ${names.length === 1 ? "is" : "are"} written on Network= lines as ${names.length === 1 ? "it is" : "they are"}, without .network units: create each before the units start (podman network create NAME; archy creates it on first use)`,
  HealthCmd: (names) =>
    `the health checks of ${names.join(", ")} are written as PodmanArgs= --health-* flags instead of the Health*= keys`,
};

const keyName = (f: Fallback) =>
  f.key === "HealthCmd" ? "HealthCmd= (and every Health*= key)" : `${f.key}=`;

/** One sentence per key the target lacks, naming what it concerns across the units. */
export function lackSentences(
  target: PodmanVersion,
  rendered: readonly { app: AppManifest; r: { fallbacks: readonly Fallback[] } }[],
): string[] {
  const byKey = new Map<string, { fallback: Fallback; names: string[] }>();
  for (const { r } of rendered)
    for (const f of r.fallbacks) {
      const entry = byKey.get(f.key) ?? { fallback: f, names: [] };
      if (!entry.names.includes(f.name)) entry.names.push(f.name);
      byKey.set(f.key, entry);
    }
  return [...byKey.values()]
    .sort(
      (a, b) =>
        compareVersions(a.fallback.since, b.fallback.since) ||
        (a.fallback.key < b.fallback.key ? -1 : 1),
    )
    .map(
      ({ fallback, names }) =>
        `podman ${target} lacks ${keyName(fallback)} (podman ${fallback.since}): ${WHAT[fallback.key]!(names.sort())}.`,
    );
}
