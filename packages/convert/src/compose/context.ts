// What every mapping step shares: the source (for positions), the project,
// the whole file's data, and where warnings and errors go.
import type { Lookup } from "./interpolate.js";
import { locatedAt, type ComposePath, type ComposeSource, type Located } from "./positions.js";

export type Dict = Record<string, unknown>;

export const isDict = (v: unknown): v is Dict =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export interface MapContext {
  src: ComposeSource;
  /** The compose file's folder, absolute: relative paths resolve against it. */
  dir: string;
  project: string;
  /** The interpolated, validated compose data. */
  data: Dict;
  /** The interpolation's variables (environment over `.env`). */
  lookup: Lookup;
  /** The app id of a service of this file. */
  appId(service: string): string;
  warn(path: ComposePath, message: string, at?: "key" | "value"): void;
  /** A problem of the file (ECOMPOSE): collected, thrown after the mapping. */
  invalid(path: ComposePath, message: string, at?: "key" | "value"): void;
  /** Something archy refuses (EUNSUPPORTED): collected, thrown after the mapping. */
  unsupported(path: ComposePath, message: string, at?: "key" | "value"): void;
}

export interface Collected {
  warnings: Located[];
  invalid: Located[];
  unsupported: Located[];
}

/** The three collecting methods of a context, writing into `into`. */
export function collector(src: ComposeSource, into: Collected) {
  return {
    warn: (path: ComposePath, message: string, at?: "key" | "value") =>
      into.warnings.push(locatedAt(src, path, message, at)),
    invalid: (path: ComposePath, message: string, at?: "key" | "value") =>
      into.invalid.push(locatedAt(src, path, message, at)),
    unsupported: (path: ComposePath, message: string, at?: "key" | "value") =>
      into.unsupported.push(locatedAt(src, path, message, at)),
  };
}

/**
 * Warns once for each key of `value` (a map at `path`) not in `handled`:
 * what archy cannot express is said, never dropped in silence.
 */
export function warnOtherKeys(
  ctx: MapContext,
  path: ComposePath,
  value: unknown,
  handled: readonly string[],
  why: (key: string) => string = (key) => `archy cannot express "${key}"; it is left out`,
): void {
  if (!isDict(value)) return;
  for (const key of Object.keys(value))
    if (!handled.includes(key)) ctx.warn([...path, key], why(key));
}
