// `${VAR}` interpolation as compose does it: `$$` is a literal `$`, `$VAR`
// and `${VAR}` its value (blank when unset, with a warning),
// `${VAR:-default}` / `${VAR-default}` (unset or empty / unset only),
// `${VAR:?error}` / `${VAR?error}` (fail), `${VAR:+other}` / `${VAR+other}`
// (replace when set). The text after the operator is interpolated itself, so
// defaults nest: `${A:-${B:-x}}`. Applied to every value of the file (never
// to keys), in place in the YAML document so positions stay right.
import { isAlias, isScalar, visit } from "yaml";
import {
  composeError,
  locatedAt,
  type ComposePath,
  type ComposeSource,
  type Located,
} from "./positions.js";

export type Lookup = (name: string) => string | undefined;

/** A `${VAR?message}` whose variable is unset, or a malformed `$` template. */
export class InterpolationError extends Error {
  override readonly name = "InterpolationError";
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
  }
}

export interface Interpolated {
  value: string;
  /** Variables used without a default while unset: each became "". */
  unset: string[];
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

/** Interpolates one string. Throws `InterpolationError`. */
export function interpolate(input: string, lookup: Lookup): Interpolated {
  const unset: string[] = [];
  const value = expand(input, lookup, unset);
  return { value, unset: [...new Set(unset)] };
}

function expand(input: string, lookup: Lookup, unset: string[]): string {
  let out = "";
  let i = 0;
  while (i < input.length) {
    const dollar = input.indexOf("$", i);
    if (dollar < 0) {
      out += input.slice(i);
      break;
    }
    out += input.slice(i, dollar);
    const next = input[dollar + 1];
    if (next === "$") {
      out += "$";
      i = dollar + 2;
      continue;
    }
    if (next === "{") {
      const end = closingBrace(input, dollar + 2);
      if (end < 0) throw invalid(input);
      out += braced(input.slice(dollar + 2, end), input, lookup, unset);
      i = end + 1;
      continue;
    }
    const name = NAME.exec(input.slice(dollar + 1))?.[0];
    if (!name) throw invalid(input);
    const v = lookup(name);
    if (v === undefined) unset.push(name);
    out += v ?? "";
    i = dollar + 1 + name.length;
  }
  return out;
}

/** The index of the `}` closing a `${` whose content starts at `from`; -1 if none. */
function closingBrace(input: string, from: number): number {
  let depth = 1;
  for (let i = from; i < input.length; i++) {
    if (input[i] === "$" && input[i + 1] === "$") i++;
    else if (input[i] === "$" && input[i + 1] === "{") {
      depth++;
      i++;
    } else if (input[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

function braced(content: string, whole: string, lookup: Lookup, unset: string[]): string {
  const name = NAME.exec(content)?.[0];
  if (!name) throw invalid(whole);
  const rest = content.slice(name.length);
  const v = lookup(name);
  const arg = () => expand(rest.replace(/^:?[-?+]/, ""), lookup, unset);
  if (rest === "") {
    if (v === undefined) unset.push(name);
    return v ?? "";
  }
  const op = /^(:?)([-?+])/.exec(rest);
  if (!op) throw invalid(whole);
  const colon = op[1] === ":";
  const missing = v === undefined || (colon && v === "");
  switch (op[2]) {
    case "-":
      return missing ? arg() : v!;
    case "+":
      return missing ? "" : arg();
    default: {
      if (!missing) return v!;
      const message = arg();
      throw new InterpolationError(
        `required variable ${name} is ${v === undefined ? "not set" : "empty"}${message ? `: ${message}` : ""}`,
        name,
      );
    }
  }
}

const invalid = (input: string) =>
  new InterpolationError(
    `invalid interpolation format ${JSON.stringify(input)}: a "$" starts $VAR or \${VAR...}; write "$$" for a literal "$"`,
  );

/**
 * Interpolates every string value of the document in place (keys and `x-`
 * extensions included, as compose does). Unset variables without a default
 * come back as warnings; errors are thrown together as one EINTERPOLATE.
 */
export function interpolateDocument(src: ComposeSource, lookup: Lookup): Located[] {
  const warnings: Located[] = [];
  const errors: Located[] = [];
  visit(src.doc, {
    Scalar(key, node, path) {
      if (key === "key" || typeof node.value !== "string" || !node.value.includes("$")) return;
      // Aliases share their anchor's node: it is visited (and changed) once.
      if (path.some((p) => isAlias(p))) return;
      const at = pathOf(path, node);
      try {
        const r = interpolate(node.value, lookup);
        node.value = r.value;
        for (const name of r.unset)
          warnings.push(
            locatedAt(
              src,
              at,
              `variable ${name} is not set: it defaults to a blank string`,
              "value",
            ),
          );
      } catch (error) {
        if (!(error instanceof InterpolationError)) throw error;
        errors.push(locatedAt(src, at, error.message, "value"));
      }
    },
  });
  if (errors.length > 0) throw composeError(src.file, errors, "EINTERPOLATE");
  return warnings;
}

/** The data path of a node from the ancestors `visit` gives. */
function pathOf(ancestors: readonly unknown[], node: unknown): ComposePath {
  const out: (string | number)[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i] as { items?: unknown[] };
    const child = chain[i + 1];
    if (!parent?.items) continue;
    const idx = parent.items.indexOf(child);
    const item = parent.items[idx] as { key?: unknown } | undefined;
    if (item && typeof item === "object" && "key" in item) {
      // A pair of a map: the step is its key.
      const k = item.key;
      if (isScalar(k) && typeof k.value !== "symbol") out.push(String(k.value));
    } else if (idx >= 0) out.push(idx);
  }
  return out;
}
