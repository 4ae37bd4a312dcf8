// @archy/convert: archy manifests from docker compose files, and archy
// manifests to systemd Quadlet units and Kubernetes YAML.
export { ConvertError, formatLocated } from "./errors.js";
export type { ConvertErrorCode, SourceLocation } from "./errors.js";
export { writeFiles } from "./write-files.js";
export type { GeneratedFile, WriteFilesOptions, WriteStatus, WrittenFile } from "./write-files.js";
