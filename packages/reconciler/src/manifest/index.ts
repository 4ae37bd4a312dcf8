// App manifests: the normalised types (manifest/app.ts), the schema
// (manifest/schema.ts), errors and where they are in the YAML
// (manifest/positions.ts, manifest/locate.ts), one file parsed
// (manifest/parse.ts), a folder loaded (manifest/load.ts), the checks across
// files (manifest/cross-check.ts, manifest/across-files.ts) and the parsed
// manifests kept between processes (manifest/cache.ts).
// Importers use this module; it only re-exports.
export { APP_ID } from "./app.js";
export type { AppManifest, HealthCheck } from "./app.js";
export { didYouMean, formatManifestError, formatPath } from "./positions.js";
export type { ManifestError } from "./positions.js";
export { parseManifest } from "./parse.js";
export { loadManifests } from "./load.js";
export { MAX_MANIFEST_BYTES } from "./limits.js";
export { readManifestText } from "./read-file.js";
export type { ManifestCache } from "./load.js";
export { checkAcrossFiles } from "./across-files.js";
export type { LoadResult, ParseResult } from "./cross-check.js";
