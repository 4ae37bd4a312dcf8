// The compose file against the compose specification's JSON schema (ajv),
// with ajv's errors turned into one readable message per problem: where it
// is, the key path, and what was expected. A `oneOf` (a string or a list, a
// number or a map...) says the forms it accepts, or the problem inside the
// form the value has, instead of one error per form.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { didYouMean } from "@archy/reconciler";
import { COMPOSE_SPEC_SCHEMA } from "./compose-spec.schema.js";
import {
  composeError,
  locatedAt,
  type ComposePath,
  type ComposeSource,
  type Located,
} from "./positions.js";

let compiled: ValidateFunction | undefined;

/** The compiled schema, built on first use (importing this module does nothing). */
function validator(): ValidateFunction {
  if (!compiled) {
    const { $schema: _ignored, ...schema } = COMPOSE_SPEC_SCHEMA;
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, verbose: true });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

const TYPE_WORDS: Record<string, string> = {
  object: "a map",
  array: "a list",
  string: "a string",
  number: "a number",
  integer: "a whole number",
  boolean: "a boolean",
  null: "null",
};

const pathOf = (pointer: string): (string | number)[] =>
  pointer === ""
    ? []
    : pointer
        .slice(1)
        .split("/")
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

const orList = (words: string[]) => {
  const unique = [...new Set(words)];
  return unique.length <= 1
    ? (unique[0] ?? "")
    : `${unique.slice(0, -1).join(", ")} or ${unique.at(-1)}`;
};

interface Problem {
  path: ComposePath;
  at: "key" | "value";
  message: string;
  /** ajv's error, for the branch logic; absent for a summary. */
  error?: ErrorObject;
}

function describe(e: ErrorObject): Problem {
  const path = pathOf(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(p.additionalProperty);
      const parent = (e.parentSchema ?? {}) as {
        properties?: Record<string, unknown>;
        patternProperties?: Record<string, unknown>;
      };
      const known = Object.keys(parent.properties ?? {});
      if (known.length === 0 && parent.patternProperties)
        return {
          path: [...path, key],
          at: "key",
          message: `"${key}" is not a valid name (expected letters, digits, ".", "_" and "-")`,
          error: e,
        };
      const hint = didYouMean(key, known);
      return {
        path: [...path, key],
        at: "key",
        message: `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
        error: e,
      };
    }
    case "required":
      return {
        path,
        at: "value",
        message: `missing required key "${String(p.missingProperty)}"`,
        error: e,
      };
    case "type": {
      const types = Array.isArray(p.type) ? (p.type as string[]) : [String(p.type)];
      return {
        path,
        at: "value",
        message: `expected ${orList(types.map((t) => TYPE_WORDS[t] ?? t))}`,
        error: e,
      };
    }
    case "enum":
      return {
        path,
        at: "value",
        message: `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
        error: e,
      };
    case "pattern":
      return {
        path,
        at: "value",
        message: `expected text matching ${String(p.pattern)}`,
        error: e,
      };
    case "uniqueItems":
      return { path, at: "value", message: "expected no repeated items", error: e };
    case "minimum":
    case "maximum":
    case "minItems":
    case "maxItems":
    case "minLength":
    case "minProperties":
    case "const":
    case "format":
    case "not":
    default:
      return {
        path,
        at: "value",
        message: e.message ?? `fails the schema's "${e.keyword}"`,
        error: e,
      };
  }
}

const under = (path: ComposePath, prefix: ComposePath) =>
  path.length >= prefix.length && prefix.every((s, i) => path[i] === s);

/**
 * Folds the errors of each `oneOf`/`anyOf` into what helps: the problems
 * inside the form the value has (deeper paths, or non-type errors at the
 * same path), else one "expected X or Y" from the forms' types.
 */
function fold(errors: readonly ErrorObject[]): Problem[] {
  const out: Problem[] = [];
  for (const e of errors) {
    if (e.keyword !== "oneOf" && e.keyword !== "anyOf") {
      if (e.keyword === "if" || e.keyword === "allOf") continue;
      out.push(describe(e));
      continue;
    }
    const at = pathOf(e.instancePath);
    // ajv reports a oneOf's branch errors just before it: take those back.
    const branch: Problem[] = [];
    while (out.length > 0 && under(out.at(-1)!.path, at)) branch.unshift(out.pop()!);
    if (branch.length === 0) {
      out.push({
        path: at,
        at: "value",
        message: "matches more than one of the accepted forms",
        error: e,
      });
      continue;
    }
    const deeper = branch.filter((b) => b.path.length > at.length);
    const sameLevel = branch.filter(
      (b) => b.path.length === at.length && b.error?.keyword !== "type",
    );
    if (deeper.length > 0) out.push(...deeper);
    else if (sameLevel.length > 0) out.push(...sameLevel);
    else
      out.push({
        path: at,
        at: "value",
        message: `expected ${orList(branch.map((b) => b.message.replace(/^expected /, "")))}`,
      });
  }
  // One message per place and text.
  const seen = new Set<string>();
  return out.filter((p) => {
    const k = `${p.path.join("\u0000")}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Validates the (interpolated) compose data; ECOMPOSE with every problem located. */
export function validateCompose(src: ComposeSource, data: unknown): void {
  const validate = validator();
  if (validate(data)) return;
  const problems: Located[] = fold(validate.errors ?? []).map((p) =>
    locatedAt(src, p.path, p.message, p.at),
  );
  throw composeError(src.file, problems);
}
