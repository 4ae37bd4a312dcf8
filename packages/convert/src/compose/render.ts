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
    `# Imported by archy from ${composeFile} (service ${service})`,
    "# Review it before `archy up`: what archy could not express was reported as a warning.",
  ];
  const body = stringify(manifest, { lineWidth: 0, indent: 2, aliasDuplicateObjects: false });
  return `${header.join("\n")}\n${body}`;
}
