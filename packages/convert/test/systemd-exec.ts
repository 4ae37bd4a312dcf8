// An ExecStart= value read the way systemd 257 reads it
// (src/core/load-fragment.c config_parse_exec, src/basic/extract-word.c,
// src/basic/escape.c, src/core/execute.c replace_env_argv), so a test can see
// the exact argv a generated service runs:
//
// 1. specifiers are expanded in the whole value first: `%%` is `%`, and the
//    ones Quadlet uses (`%t` runtime folder, `%n` unit name, `%N` without
//    its suffix) get the values passed in; any other is an error;
// 2. the value is split into words: blanks separate them outside quotes,
//    `"…"` and `'…'` group (anywhere in a word), C escapes are decoded
//    (`\n`, `\t`, `\\`, `\"`, `\'`, `\s`, `\xNN`, `\NNN`, `\uNNNN`, …; an
//    unknown one is kept as written), and an unquoted lone `;` ends a command
//    (`\;` is a literal `;`);
// 3. at run time `$$` becomes `$`; `$NAME` and `${NAME}` would be replaced
//    by the environment, which archy never means: an error here.
//
// The result is every command of the value (more than one means a `;` split
// it), each an argv.

export interface Specifiers {
  /** `%t`: /run for the system manager, $XDG_RUNTIME_DIR for a user's. */
  runtimeDir: string;
  /** `%n`, e.g. `archy-web.service`. */
  unitName: string;
}

export function expandSpecifiers(value: string, s: Specifiers): string {
  const values: Record<string, string> = {
    "%": "%",
    t: s.runtimeDir,
    n: s.unitName,
    N: s.unitName.replace(/\.[^.]+$/, ""),
  };
  return value.replace(/%(.?)/g, (m, c: string) => {
    const v = values[c];
    if (v === undefined)
      throw new SyntaxError(`specifier ${m} in ExecStart=: not one archy expects`);
    return v;
  });
}

const SIMPLE: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
  s: " ",
};

/** One C escape at `value[i]` (just after the backslash): its text and length, or null. */
function cunescapeOne(value: string, i: number): [string, number] | null {
  const c = value[i];
  if (c === undefined) return null;
  if (Object.hasOwn(SIMPLE, c)) return [SIMPLE[c]!, 1];
  const hex = (len: number) => {
    const digits = value.slice(i + 1, i + 1 + len);
    return new RegExp(`^[0-9a-fA-F]{${len}}$`).test(digits) ? parseInt(digits, 16) : null;
  };
  if (c === "x") {
    const n = hex(2);
    return n === null || n === 0 ? null : [String.fromCharCode(n), 3];
  }
  if (c === "u" || c === "U") {
    const n = hex(c === "u" ? 4 : 8);
    return n === null || n === 0 ? null : [String.fromCodePoint(n), c === "u" ? 5 : 9];
  }
  if (/[0-7]/.test(c)) {
    const digits = value.slice(i, i + 3);
    if (!/^[0-7]{3}$/.test(digits)) return null;
    const n = parseInt(digits, 8);
    return n === 0 || n > 255 ? null : [String.fromCharCode(n), 3];
  }
  return null;
}

const BLANK = /[ \t\n\r]/;

/** The commands of an ExecStart= value (after specifier expansion), each its words. */
export function splitExec(value: string): string[][] {
  const commands: string[][] = [[]];
  let i = 0;
  for (;;) {
    while (i < value.length && BLANK.test(value[i]!)) i++;
    if (i >= value.length) break;
    const after = (k: number) => k >= value.length || BLANK.test(value[k]!);
    if (value[i] === ";" && after(i + 1)) {
      commands.push([]);
      i++;
      continue;
    }
    if (value[i] === "\\" && value[i + 1] === ";" && after(i + 2)) {
      commands.at(-1)!.push(";");
      i += 2;
      continue;
    }
    let word = "";
    let quote: string | null = null;
    for (; i < value.length; i++) {
      const c = value[i]!;
      if (c === "\\") {
        const esc = cunescapeOne(value, i + 1);
        if (esc) {
          word += esc[0];
          i += esc[1];
        } else {
          // EXTRACT_CUNESCAPE_RELAX: an unknown escape stays as written.
          word += c + (value[i + 1] ?? "");
          i++;
        }
      } else if (quote) {
        if (c === quote) quote = null;
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (BLANK.test(c)) break;
      else word += c;
    }
    if (quote) throw new SyntaxError(`unbalanced ${quote} in ExecStart=`);
    commands.at(-1)!.push(word);
  }
  return commands.filter((c) => c.length > 0);
}

/** systemd's run-time `$` handling of one word: `$$` is `$`; a variable is an error. */
export function expandDollars(word: string): string {
  return word.replace(
    /\$(\$|\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)?/g,
    (m, rest: string | undefined) => {
      if (rest === "$") return "$";
      if (rest === undefined) return m; // a `$` before anything else is kept
      throw new SyntaxError(`${JSON.stringify(word)}: ${m} would be replaced from the environment`);
    },
  );
}

/** The argv of each command of an ExecStart= value, as the service runs it. */
export function execStartCommands(value: string, s: Specifiers): string[][] {
  return splitExec(expandSpecifiers(value, s)).map((argv) => argv.map(expandDollars));
}
