// Writing values into a Quadlet unit so that podman receives them unchanged.
//
// Quadlet reads a value in one of a few ways (keys.ts, KEY_SYNTAX), then
// puts it on the generated service's ExecStart= line, quoted again for
// systemd but with `%` and `$` left alone (pkg/systemd/parser/split.go,
// escapeWords). systemd then expands `%` specifiers and `$` variables in
// that line, so every value bound for podman has `%` written as `%%` and `$`
// as `$$`.
import { ConvertError } from "../errors.js";

/** `%` -> `%%`, `$` -> `$$`: literal after systemd's ExecStart= expansion. */
export const escapeExpansion = (s: string) => s.replace(/%/g, "%%").replace(/\$/g, "$$$$");

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A value Quadlet takes as written (`Lookup`): no quoting is possible, so one
 * that a unit file cannot hold as is (a control character, blanks at either
 * end, a trailing backslash that would continue the line) is refused.
 */
export function rawValue(s: string, what: string, field?: string): string {
  if (s === "" || CONTROL.test(s) || /^\s|\s$|\\$/.test(s))
    throw new ConvertError(
      "EUNSUPPORTED",
      `${what} ${JSON.stringify(s)} cannot be written into a Quadlet unit (control characters, blanks at either end or a trailing backslash)`,
      field !== undefined ? { field } : {},
    );
  return escapeExpansion(s);
}

const BARE = /^[A-Za-z0-9_@%+=:,./-]+$/;

const C_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  '"': '\\"',
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

/**
 * One word for a key Quadlet splits like ExecStart= (`LookupAllArgs`: blanks
 * outside quotes separate words, C escapes are decoded): bare when it is
 * plain, else in double quotes with `\`, `"` and control characters escaped.
 */
export function quoteWord(word: string): string {
  const escaped = escapeExpansion(word);
  if (BARE.test(escaped)) return escaped;
  return `"${escaped.replace(
    // eslint-disable-next-line no-control-regex
    /[\\"\u0000-\u001f\u007f]/g,
    (c) => C_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  )}"`;
}

export const quoteWords = (words: readonly string[]) => words.map(quoteWord).join(" ");

/** Text for a systemd free-text key (Description=): specifiers escaped, one line. */
export const freeText = (s: string) =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/%/g, "%%");

/** Text for a `#` comment: one line. */
// eslint-disable-next-line no-control-regex
export const commentText = (s: string) => s.replace(/[\u0000-\u001f\u007f]+/g, " ");

/** A duration as podman (Go) and systemd both read it: `10s`, `500ms`, `0s`. */
export const duration = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`);
