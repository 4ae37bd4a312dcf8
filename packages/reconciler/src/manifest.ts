// App manifests: the normalised types (manifest/app.ts), the schema
// (manifest/schema.ts), errors and where they are in the YAML
// (manifest/positions.ts, manifest/locate.ts), one file parsed
// (manifest/parse.ts), a folder loaded (manifest/load.ts), the checks across
// files (manifest/cross-check.ts, manifest/across-files.ts) and the parsed
// manifests kept between processes (manifest/cache.ts).
// Importers use this module; it only re-exports.
export { APP_ID } from "./manifest/app.js";
export type { AppManifest, HealthCheck } from "./manifest/app.js";
export { didYouMean, formatManifestError, formatPath } from "./manifest/positions.js";
export type { ManifestError } from "./manifest/positions.js";
export { parseManifest } from "./manifest/parse.js";
export { loadManifests } from "./manifest/load.js";
export { MAX_MANIFEST_BYTES } from "./manifest/limits.js";
export { readManifestText } from "./manifest/read-file.js";
export type { ManifestCache } from "./manifest/load.js";
export { checkAcrossFiles } from "./manifest/across-files.js";
export type { LoadResult, ParseResult } from "./manifest/cross-check.js";
