// Reading a unit file back the way Quadlet does (pkg/systemd/parser of
// podman): sections, keys in order, comments; and decoding a value into what
// podman finally receives, for tests and for the key check.
import { KEY_SYNTAX, type ValueSyntax } from "./keys.js";

export interface UnitEntry {
  key: string;
  /** As written, leading blanks removed, trailing ones kept (Quadlet's `LookupLast`). */
  value: string;
  /** 1-based line of the key. */
  line: number;
}

export interface UnitSection {
  name: string;
  entries: UnitEntry[];
}

export interface ParsedUnit {
  /** `#` and `;` lines before the first section, without the marker and one blank. */
  header: string[];
  sections: UnitSection[];
}

/**
 * Parses a unit file: `[Section]` lines, `Key=value` lines, comments (`#`,
 * `;`) and blank lines; a line ending in `\` continues on the next (joined
 * as Quadlet joins it: backslash and newline removed). A section named twice
 * is one section. Throws a SyntaxError naming the line of anything else.
 */
export function parseUnit(text: string): ParsedUnit {
  const header: string[] = [];
  const sections: UnitSection[] = [];
  let current: UnitSection | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNr = i + 1;
    let line = lines[i]!.replace(/\r$/, "");
    const trimmed = line.trimStart();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) {
      if (!current && trimmed !== "") header.push(trimmed.slice(1).replace(/^ /, ""));
      continue;
    }
    const group = /^\[([^[\]]+)\][ \t]*$/.exec(trimmed);
    if (group) {
      const name = group[1]!;
      current = sections.find((s) => s.name === name);
      if (!current) sections.push((current = { name, entries: [] }));
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new SyntaxError(`line ${lineNr}: not a key=value pair, section or comment`);
    if (!current) throw new SyntaxError(`line ${lineNr}: a key before the first section`);
    while (line.endsWith("\\") && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!;
    const key = line.slice(0, eq).trim();
    if (key === "") throw new SyntaxError(`line ${lineNr}: empty key`);
    current.entries.push({ key, value: line.slice(eq + 1).trimStart(), line: lineNr });
  }
  return { header, sections };
}

/** Every value of `key` in `section`, in order (an empty value clears the ones before, as in Quadlet). */
export function lookupAll(unit: ParsedUnit, section: string, key: string): string[] {
  let out: string[] = [];
  for (const e of unit.sections.find((s) => s.name === section)?.entries ?? [])
    if (e.key === key) out = e.value === "" ? [] : [...out, e.value];
  return out;
}

const C_UNESCAPE: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  s: " ",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

/**
 * Splits a value into words like systemd's ExecStart= and Quadlet's
 * `LookupAllArgs`: blanks separate words outside quotes, `"..."` and `'...'`
 * group, and (with `cEscapes`) `\n`, `\"`, `\xNN`, ... are decoded. An
 * unbalanced quote runs to the end (Quadlet's SplitRelax).
 */
export function splitWords(value: string, cEscapes = true): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" && cEscapes && i + 1 < value.length) {
      const n = value[++i]!;
      if (n === "x" && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 1, i + 3))) {
        word = (word ?? "") + String.fromCharCode(parseInt(value.slice(i + 1, i + 3), 16));
        i += 2;
      } else word = (word ?? "") + (C_UNESCAPE[n] ?? `\\${n}`);
    } else if (quote) {
      if (c === quote) quote = null;
      else word = (word ?? "") + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= "";
    } else if (/[ \t\n\r]/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? "") + c;
  }
  if (word !== null) words.push(word);
  return words;
}

/**
 * systemd's ExecStart= expansion of what archy writes: `%%` -> `%`, `$$` ->
 * `$`. A lone `%` or `$` would be a specifier or a variable, which archy
 * never means: a SyntaxError.
 */
export const unescapeExpansion = (s: string) =>
  s.replace(/%%|\$\$|%|\$/g, (m) => {
    if (m.length === 1)
      throw new SyntaxError(`${JSON.stringify(s)}: a lone ${m} would be expanded by systemd`);
    return m[0]!;
  });

/**
 * What podman receives for one value of a key archy writes: one string for
 * raw and single-token keys, the words otherwise (KEY_SYNTAX says which).
 */
export function decodeValue(key: string, value: string): string[] {
  const syntax: ValueSyntax = KEY_SYNTAX[key] ?? "raw";
  switch (syntax) {
    case "words":
      return splitWords(value).map(unescapeExpansion);
    case "strv":
      return splitWords(value, false).map(unescapeExpansion);
    default:
      return [unescapeExpansion(value.trimEnd())];
  }
}
