// Registries: what a reference points to now (client.ts), podman's registry
// configuration (config.ts), references (reference.ts).
export { remoteDigest } from "./client.js";
export type { RemoteDigestOptions } from "./client.js";
export { parseReference } from "./reference.js";
export type { ImageReference } from "./reference.js";
