import { SystemdError } from "./errors.js";

/**
 * Writing values into a unit file the way systemd reads them back
 * (systemd.syntax(7), systemd.service(5) "Command lines", systemd.exec(5)
 * `Environment=`, systemd.unit(5) "Specifiers"):
 *
 * - `%` starts a specifier in every setting used here: written `%%`;
 * - quoted words are unquoted with C-style escapes: `\` is written `\\` and
 *   `"` is written `\"` inside double quotes;
 * - in command lines (`ExecStart=`) `$NAME` and `${NAME}` in the arguments
 *   are replaced by environment variables: `$` is written `$$` there, and
 *   only there (`Environment=` and the executable's path take `$` literally,
 *   `$$` would stay two dollars);
 * - the executable's path may hold no quote, backslash or control character
 *   at all ("Executable path contains special characters"): refused;
 * - a newline (or NUL) cannot be written at all: refused.
 */

/** Characters a word may hold without quotes, in every setting used here. */
const BARE = /^[A-Za-z0-9_./:@+,=-]+$/;

function refuseUnwritable(value: string, what: string): void {
  if (/[\n\r\0]/.test(value))
    throw new SystemdError(
      "EUNITVALUE",
      `${what} cannot be written into a systemd unit: it holds a newline or NUL (${JSON.stringify(value)})`,
    );
}

/** `%` doubled: text that systemd's specifier expansion gives back unchanged. */
export function escapeSpecifiers(text: string): string {
  return text.replaceAll("%", "%%");
}

/**
 * One word, as systemd splits and unquotes it: bare when it is plain, else in
 * double quotes with `\` and `"` escaped; `%` doubled always, and `$` doubled
 * when `exec` (a command line). The empty word is `""`.
 */
export function quoteWord(word: string, opts: { exec?: boolean; what?: string } = {}): string {
  refuseUnwritable(word, opts.what ?? "a value");
  let text = escapeSpecifiers(word);
  if (opts.exec) text = text.replaceAll("$", "$$$$"); // "$$$$" is "$$" in a replacement string
  if (word !== "" && BARE.test(word)) return text;
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * A command line for `ExecStart=`: each word quoted for systemd. The first
 * must be an absolute path systemd accepts as an executable's.
 */
export function execLine(words: readonly string[]): string {
  const [first, ...args] = words;
  if (first === undefined || !first.startsWith("/"))
    throw new SystemdError(
      "EUNITVALUE",
      `a command line must start with an absolute path, not ${JSON.stringify(first ?? "")}`,
    );
  // systemd's string_is_safe(): no control character, quote or backslash in the path.
  // eslint-disable-next-line no-control-regex
  if (/["'\\\x00-\x1f\x7f]/.test(first))
    throw new SystemdError(
      "EUNITVALUE",
      `systemd refuses an executable path with a quote, a backslash or a control character: ${JSON.stringify(first)}`,
    );
  return [
    quoteWord(first, { what: "the executable's path" }),
    ...args.map((w) => quoteWord(w, { exec: true, what: "a command-line word" })),
  ].join(" ");
}

/** One `Environment=` assignment's value: `"NAME=value"`, quoted for systemd. */
export function environmentAssignment(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new SystemdError(
      "EUNITVALUE",
      `invalid environment variable name ${JSON.stringify(name)}`,
    );
  return quoteWord(`${name}=${value}`, { what: `the value of ${name}` });
}

/** Absolute paths for `RequiresMountsFor=` and the like: space-separated, each quoted for systemd. */
export function pathList(paths: readonly string[]): string {
  return paths
    .map((p) => {
      if (!p.startsWith("/"))
        throw new SystemdError("EUNITVALUE", `not an absolute path: ${JSON.stringify(p)}`);
      return quoteWord(p, { what: "a path" });
    })
    .join(" ");
}

/**
 * Splits a setting's value into words as systemd does for the quoting written
 * above (quotes, `\\`, `\"`, `%%` and, with `exec`, `$$` after the first word), so a unit written
 * by this package can be read back (`archy service status` compares the
 * options an installed unit was written with). Not a full parser of every
 * escape systemd knows.
 */
export function splitWords(value: string, opts: { exec?: boolean } = {}): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote === null && /\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
      continue;
    }
    word ??= "";
    if (quote === null && (c === '"' || c === "'")) quote = c;
    else if (c === quote) quote = null;
    else if (c === "\\" && i + 1 < value.length) word += value[++i];
    else if ((c === "%" || (opts.exec && c === "$" && words.length > 0)) && value[i + 1] === c)
      word += value[++i];
    else word += c;
  }
  if (word !== null) words.push(word);
  return words;
}
