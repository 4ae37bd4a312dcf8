// Env files: the `.env` beside the compose file (the variables of the
// interpolation) and each service's `env_file:`. Parsed by dotenv; a value
// not in single quotes is interpolated against the variables known so far, as
// compose does (`B=${A}-x`).
import { readFile } from "node:fs/promises";
import { parse } from "dotenv";
import { interpolate, InterpolationError, type Lookup } from "./interpolate.js";
import { composeError, type Located } from "./positions.js";

export interface EnvFileResult {
  /** The variables in file order (a later line wins). */
  values: Record<string, string>;
  warnings: Located[];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The 1-based line of `NAME=` in `text` (the last one: it is the one that counts). */
function lineOf(text: string, name: string): number {
  const re = new RegExp(`^\\s*(?:export\\s+)?${escapeRe(name)}\\s*=`);
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) if (re.test(lines[i]!)) return i + 1;
  return 1;
}

/**
 * Parses env file text. `lookup` resolves the variables a value refers to
 * when the file itself does not set them (earlier lines win over it).
 */
export function parseEnvFile(file: string, text: string, lookup: Lookup): EnvFileResult {
  const raw = parse(text);
  const values: Record<string, string> = {};
  const warnings: Located[] = [];
  const errors: Located[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const line = lineOf(text, name);
    const rawLine = text.split(/\r?\n/)[line - 1] ?? "";
    const singleQuoted = new RegExp(`^\\s*(?:export\\s+)?${escapeRe(name)}\\s*=\\s*'`).test(
      rawLine,
    );
    if (singleQuoted || !value.includes("$")) {
      values[name] = value;
      continue;
    }
    const at = { file, line, column: 1, path: name };
    try {
      const r = interpolate(value, (n) => (Object.hasOwn(values, n) ? values[n] : lookup(n)));
      values[name] = r.value;
      for (const n of r.unset)
        warnings.push({
          ...at,
          message: `variable ${n} is not set: it defaults to a blank string`,
        });
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      errors.push({ ...at, message: error.message });
    }
  }
  if (errors.length > 0) throw composeError(file, errors, "EINTERPOLATE");
  return { values, warnings };
}

/** Reads and parses an env file; `null` when it does not exist. */
export async function readEnvFile(path: string, lookup: Lookup): Promise<EnvFileResult | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw composeError(path, [
      {
        file: path,
        line: 1,
        column: 1,
        path: "",
        message: `cannot read: ${(error as Error).message}`,
      },
    ]);
  }
  return parseEnvFile(path, text, lookup);
}
