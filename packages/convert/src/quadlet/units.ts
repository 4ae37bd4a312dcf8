// The `.volume` and `.network` units of the named volumes and networks apps
// use. A container unit that names `archy-X.volume` (or `.network`) makes
// Quadlet add Requires=/After= on the generated `archy-X-volume.service`,
// which runs `podman volume create --ignore`; VolumeName= (NetworkName=,
// both podman 4.7) keeps the name archy's containers used, so the exported
// unit mounts the same data instead of a new `systemd-archy-X` volume.
import { containerName } from "@archy/reconciler";
import { freeText, rawValue } from "./syntax.js";
import { UnitBuilder } from "./unit-text.js";

/**
 * Network modes podman knows without a network of that name, and `podman`,
 * its default network, which always exists: used as they are.
 */
export const BUILTIN_NETWORKS: ReadonlySet<string> = new Set([
  "bridge",
  "host",
  "none",
  "private",
  "slirp4netns",
  "pasta",
  "podman",
]);

/** A volume source that is a named volume, not a host path (host paths are absolute by now). */
export const isNamedVolume = (source: string) => !source.startsWith("/");

export const isNamedNetwork = (network: string) => !BUILTIN_NETWORKS.has(network);

/** `archy-<name>.volume`: the prefix of archy's containers marks the files archy writes. */
export const volumeUnitName = (name: string) => `${containerName(name)}.volume`;
export const networkUnitName = (name: string) => `${containerName(name)}.network`;

/** The body of `archy-<name>.volume`. */
export function volumeUnit(name: string): UnitBuilder {
  return new UnitBuilder()
    .section("Unit")
    .set("Description", freeText(`Volume ${name} of archy apps`))
    .section("Volume")
    .set("VolumeName", rawValue(name, "volume name"));
}

/** The body of `archy-<name>.network`. */
export function networkUnit(name: string): UnitBuilder {
  return new UnitBuilder()
    .section("Unit")
    .set("Description", freeText(`Network ${name} of archy apps`))
    .section("Network")
    .set("NetworkName", rawValue(name, "network name"));
}
