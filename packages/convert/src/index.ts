// @archy/convert: archy manifests from docker compose files, and archy
// manifests to systemd Quadlet units and Kubernetes YAML.
export { ConvertError, formatLocated } from "./errors.js";
export type { ConvertErrorCode, SourceLocation } from "./errors.js";
export { writeFiles } from "./write-files.js";
export type { GeneratedFile, WriteFilesOptions, WriteStatus, WrittenFile } from "./write-files.js";
export { exportQuadlet, isQuadletFileOfArchy } from "./quadlet/export.js";
export type { QuadletExport, QuadletExportOptions, QuadletFile } from "./quadlet/export.js";
export { compareVersions, KEY_SYNTAX, QUADLET_KEYS, QUADLET_SINCE } from "./quadlet/keys.js";
export { parsePodmanVersion } from "./target.js";
export { quadletRefusals } from "./quadlet/limits.js";
export type { PodmanVersion, QuadletSection, ValueSyntax } from "./quadlet/keys.js";
export { decodeValue, lookupAll, parseUnit, splitWords } from "./quadlet/parse.js";
export type { ParsedUnit, UnitEntry, UnitSection } from "./quadlet/parse.js";
export { headerVersion, keySince, keyUses, minPodmanFor } from "./quadlet/min-version.js";
export type { KeyUse, MinPodman } from "./quadlet/min-version.js";
export { importCompose } from "./compose/import.js";
export type {
  ComposeImportOptions,
  ComposeImportResult,
  ComposeWarning,
  ImportedManifest,
} from "./compose/import.js";
export { exportKube, DEFAULT_WAIT_IMAGE } from "./kube/export.js";
export type { KubeExport, KubeExportOptions } from "./kube/export.js";
