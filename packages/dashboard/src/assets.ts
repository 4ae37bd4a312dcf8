import { gzipSync } from "node:zlib";
import { GENERATED_ASSETS } from "./generated/assets.js";

/** One file of the status page, ready to be served from memory. */
export interface DashboardAsset {
  /** The URL path it is served at (`/` for the page, `/assets/…` for the rest). */
  path: string;
  /** The `content-type` header value. */
  contentType: string;
  body: Buffer;
  /** `body` gzipped (level 9), for clients that accept `gzip`. */
  gzip: Buffer;
  /** A strong ETag (quoted), stable for a given build. */
  etag: string;
}

/** Every path `dashboardAsset` answers: `/`, `/index.html` and the content-addressed `/assets/…`. */
export const DASHBOARD_ASSET_PATHS: readonly string[] = Object.freeze([
  "/",
  "/index.html",
  ...GENERATED_ASSETS.filter((a) => a.path !== "/").map((a) => a.path),
]);

/** Decoded and gzipped on first use, then kept: importing the package does no work. */
const cache = new Map<string, DashboardAsset>();

/**
 * The asset served at `path`: `/` (and `/index.html`) is the page,
 * `/assets/…` its script, style and icon; undefined for anything else.
 * A query string or fragment is ignored.
 */
export function dashboardAsset(path: string): DashboardAsset | undefined {
  let key = path.replace(/[?#].*$/s, "");
  if (key === "/index.html") key = "/";
  const cached = cache.get(key);
  if (cached) return cached;
  const generated = GENERATED_ASSETS.find((a) => a.path === key);
  if (!generated) return undefined;
  const body = Buffer.from(generated.base64, "base64");
  const asset: DashboardAsset = {
    path: generated.path,
    contentType: generated.contentType,
    body,
    gzip: gzipSync(body, { level: 9 }),
    etag: generated.etag,
  };
  cache.set(key, asset);
  return asset;
}
