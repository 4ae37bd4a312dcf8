// App manifests: the schema and normalised types (manifest/schema.ts), where a
// problem is in the YAML (manifest/positions.ts), loading one file or a folder
// (manifest/load.ts) and the checks across files (manifest/across-files.ts).
// Importers use this module; it only re-exports.
export { APP_ID } from "./manifest/schema.js";
export type { AppManifest, HealthCheck } from "./manifest/schema.js";
export { didYouMean, formatManifestError, formatPath } from "./manifest/positions.js";
export type { ManifestError } from "./manifest/positions.js";
export { loadManifests, parseManifest } from "./manifest/load.js";
export type { ManifestCache } from "./manifest/load.js";
export { checkAcrossFiles } from "./manifest/across-files.js";
export type { LoadResult, ParseResult } from "./manifest/across-files.js";
