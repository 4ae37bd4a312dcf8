// A mapped manifest as YAML text, with the header saying where it came from.
import { stringify } from "yaml";
import type { ArchyManifest } from "./map-service.js";

/** The manifest's YAML: a comment header, then the fields in the manifest's documented order. */
export function renderManifest(
  manifest: ArchyManifest,
  composeFile: string,
  service: string,
): string {
  const header = [
    `# Imported by archy from ${composeFile.replace(/[\r\n]/g, " ")} (service ${service})`,
    "# Review it before `archy up`: what archy could not express was reported as a warning.",
  ];
  const body = stringify(manifest, { lineWidth: 0, indent: 2, aliasDuplicateObjects: false });
  // "no" is a string in YAML 1.2 (archy's parser), but a boolean to YAML 1.1 readers: quoted.
  return `${header.join("\n")}\n${body.replace(/^( {4}policy: )no$/m, '$1"no"')}`;
}
