// A unit file being built: sections of `Key=value` lines (values already
// written in the key's syntax, see syntax.ts) and comments, then its text.
import type { KeyUse } from "./min-version.js";
import { commentText } from "./syntax.js";

/** A `Key=value` line, or a comment line (without the `# `). */
export type UnitLine = readonly [key: string, value: string] | { comment: string };

export interface UnitBody {
  sections: { name: string; lines: UnitLine[] }[];
}

export class UnitBuilder implements UnitBody {
  readonly sections: { name: string; lines: UnitLine[] }[] = [];

  section(name: string): this {
    this.sections.push({ name, lines: [] });
    return this;
  }

  /** Adds `key=value` to the last section (nothing when value is undefined). */
  set(key: string, value: string | number | undefined): this {
    if (value !== undefined) this.last().push([key, String(value)]);
    return this;
  }

  comment(text: string): this {
    this.last().push({ comment: text });
    return this;
  }

  private last(): UnitLine[] {
    const s = this.sections.at(-1);
    if (!s) throw new TypeError("a key before the first section");
    return s.lines;
  }
}

/** The keys a body uses, for the version check. */
export const bodyKeyUses = (body: UnitBody, file?: string): KeyUse[] =>
  body.sections.flatMap((s) =>
    s.lines.flatMap((l) =>
      "comment" in l ? [] : [{ section: s.name, key: l[0], ...(file ? { file } : {}) }],
    ),
  );

/** The text of a unit: header comments, then each section after a blank line. */
export function formatUnit(header: readonly string[], body: UnitBody): string {
  const out = header.map((h) => (h.startsWith("#") ? h : `# ${commentText(h)}`));
  for (const s of body.sections) {
    out.push("", `[${s.name}]`);
    for (const l of s.lines)
      out.push("comment" in l ? `# ${commentText(l.comment)}` : `${l[0]}=${l[1]}`);
  }
  return `${out.join("\n")}\n`;
}
