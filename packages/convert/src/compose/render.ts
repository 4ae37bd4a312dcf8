// A mapped manifest as YAML text, with the header saying where it came from.
import { Document, isPair, isScalar, isSeq, Scalar, visit } from "yaml";
import type { ArchyManifest } from "./map-service.js";

/** Word lists written on one line, as the manifest docs write them: `cmd: ["a", "b"]`. */
const FLOW_KEYS = new Set([
  "command",
  "entrypoint",
  "cmd",
  "cap_add",
  "cap_drop",
  "network_aliases",
]);

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
  const doc = new Document(manifest, { aliasDuplicateObjects: false });
  visit(doc, {
    Seq(_key, seq, path) {
      const parent = path.at(-1);
      const underKey =
        isPair(parent) && isScalar(parent.key) && FLOW_KEYS.has(String(parent.key.value));
      // A hook command is a word list inside the pre_start list.
      const inList = isSeq(parent);
      if (!(underKey || inList) || !seq.items.every((i) => isScalar(i))) return;
      seq.flow = true;
      for (const item of seq.items)
        if (typeof item.value === "string") item.type = Scalar.QUOTE_DOUBLE;
    },
  });
  const body = doc.toString({ lineWidth: 0, indent: 2, flowCollectionPadding: false });
  // "no" is a string in YAML 1.2 (archy's parser), but a boolean to YAML 1.1 readers: quoted.
  return `${header.join("\n")}\n${body.replace(/^( {4}policy: )no$/m, '$1"no"')}`;
}
