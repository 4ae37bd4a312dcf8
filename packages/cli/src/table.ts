import { createRequire } from "node:module";
import type CliTable3 from "cli-table3";

/** An SGR escape (colour, bold), as cli-table3 recognises them. */
// eslint-disable-next-line no-control-regex -- the escape character is the point
const SGR = /\u001b\[((?:\d*;){0,5}\d*)m/g;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const FLAGS: Record<string, [string, boolean]> = {
  "\u001b[1m": ["bold", true],
  "\u001b[22m": ["bold", false],
  "\u001b[3m": ["italics", true],
  "\u001b[23m": ["italics", false],
  "\u001b[4m": ["underline", true],
  "\u001b[24m": ["underline", false],
  "\u001b[7m": ["inverse", true],
  "\u001b[27m": ["inverse", false],
  "\u001b[9m": ["strikethrough", true],
  "\u001b[29m": ["strikethrough", false],
};

/**
 * Whether a cell's escapes leave no style open, by cli-table3's reading of
 * them (it would close an open one at the end of the cell's line).
 */
function closed(cell: string): boolean {
  const on = new Set<string>();
  let fg: string | undefined;
  let bg: string | undefined;
  for (const [escape, params] of cell.matchAll(SGR)) {
    const code = params ? parseInt(params.split(";")[0]!, 10) : 0;
    if ((code >= 30 && code <= 39) || (code >= 90 && code <= 97)) fg = escape;
    else if ((code >= 40 && code <= 49) || (code >= 100 && code <= 107)) bg = escape;
    else if (code === 0) {
      on.clear();
      fg = bg = undefined;
    } else {
      const flag = FLAGS[escape];
      if (flag?.[1]) on.add(flag[0]);
      else if (flag) on.delete(flag[0]);
    }
  }
  return (
    on.size === 0 && (fg ?? "\u001b[39m") === "\u001b[39m" && (bg ?? "\u001b[49m") === "\u001b[49m"
  );
}

/** The width of a one-line cell of printable ASCII and closed styles; null for any other cell. */
function plainWidth(cell: string): number | null {
  const text = cell.replace(SGR, "");
  return PRINTABLE_ASCII.test(text) && (text.length === cell.length || closed(cell))
    ? text.length
    : null;
}

/**
 * Rows as columns separated by two spaces, each as wide as its widest cell,
 * without borders or padding: what cli-table3 draws with empty border
 * characters, a "  " middle and no padding. The tables archy prints (ids,
 * phases, images, numbers, times) are laid out here, since cli-table3 and its
 * string-width and emoji pattern take longer to load and run than the rest of
 * `archy ps`; a cell of any other text (wide characters, several lines, an
 * open style) goes to cli-table3 itself, loaded then.
 */
export function renderTable(head: string[], rows: string[][]): string {
  const all = [head, ...rows];
  const cellWidths: number[][] = [];
  for (const row of all) {
    const w = row.map(plainWidth);
    if (row.length !== head.length || w.includes(null)) return cliTable3(head, rows);
    cellWidths.push(w as number[]);
  }
  const widths = head.map((_, x) => Math.max(1, ...cellWidths.map((w) => w[x]!)));
  return all
    .map((row, y) =>
      row
        .map(
          (cell, x) =>
            `${x === 0 ? "" : "  "}${cell}${" ".repeat(widths[x]! - cellWidths[y]![x]!)}`,
        )
        .join(""),
    )
    .join("\n");
}

/** The same table drawn by cli-table3. */
export function cliTable3(head: string[], rows: string[][]): string {
  // CommonJS, loaded when first needed.
  const Table = createRequire(import.meta.url)("cli-table3") as typeof CliTable3;
  const t = new Table({
    head,
    chars: {
      top: "",
      "top-mid": "",
      "top-left": "",
      "top-right": "",
      bottom: "",
      "bottom-mid": "",
      "bottom-left": "",
      "bottom-right": "",
      left: "",
      "left-mid": "",
      mid: "",
      "mid-mid": "",
      right: "",
      "right-mid": "",
      middle: "  ",
    },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  t.push(...rows);
  return t.toString();
}
