import { describe, expect, it } from "vitest";
import { ConvertError } from "../errors.js";
import { decodeValue, lookupAll, parseUnit, splitWords } from "./parse.js";
import { escapeExpansion, quoteWord, quoteWords, rawValue } from "./syntax.js";
import { formatUnit, UnitBuilder } from "./unit-text.js";

describe("parseUnit", () => {
  it("reads sections, keys in order, header comments and continuations", () => {
    const unit = parseUnit(
      [
        "# first",
        "#second",
        "",
        "[Unit]",
        "Description = two  words ",
        "; a comment",
        "After=a.service",
        "[Container]",
        "Exec=echo \\",
        "  continued",
        "[Unit]",
        "After=b.service",
        "",
      ].join("\n"),
    );
    expect(unit.header).toEqual(["first", "second"]);
    expect(unit.sections.map((s) => s.name)).toEqual(["Unit", "Container"]);
    expect(unit.sections[0]!.entries).toEqual([
      { key: "Description", value: "two  words ", line: 5 },
      { key: "After", value: "a.service", line: 7 },
      { key: "After", value: "b.service", line: 12 },
    ]);
    expect(lookupAll(unit, "Container", "Exec")).toEqual(["echo   continued"]);
    expect(decodeValue("Description", "two  words ")).toEqual(["two  words"]);
  });

  it("clears earlier values on an empty one, as Quadlet does", () => {
    const unit = parseUnit("[Container]\nVolume=a:/a\nVolume=\nVolume=b:/b\n");
    expect(lookupAll(unit, "Container", "Volume")).toEqual(["b:/b"]);
  });

  it("names the line of anything else", () => {
    expect(() => parseUnit("[Unit]\nnot a pair\n")).toThrow(/line 2/);
    expect(() => parseUnit("Key=before any section\n")).toThrow(/line 1: a key before/);
  });
});

describe("splitWords", () => {
  it("splits like ExecStart=: quotes group, C escapes decode, blanks separate", () => {
    expect(splitWords(`a "b c" 'd "e"' f\\x41\\n "" x\\ty`)).toEqual([
      "a",
      "b c",
      'd "e"',
      "fA\n",
      "",
      "x\ty",
    ]);
    expect(splitWords("  ")).toEqual([]);
    expect(splitWords('"unbalanced quote')).toEqual(["unbalanced quote"]);
    expect(splitWords("keep\\back", false)).toEqual(["keep\\back"]);
  });
});

// Words that must come back unchanged through quoting, Quadlet's reading and
// systemd's expansion: blanks, both quotes, backslashes, specifiers,
// variables, control characters, non-ASCII.
const TRICKY = [
  "plain",
  "",
  "two words",
  'say "hi"',
  "it's",
  "back\\slash\\",
  "100%",
  "%n %% %h",
  "$HOME",
  "${PATH}:$$",
  "tab\tnew\nline\rcr",
  "bell\x07 del\x7f nul-free",
  "ünïcødé ✓",
  "--flag=value",
  "a=b=c",
  "#not-a-comment",
  ";semi",
];

/** A string of `length` characters drawn from the troublesome ones, from a seed. */
function randomWord(seed: number, length: number): string {
  const chars = " \t\n\"'\\%$=;#:,./-_aZ09é{}[]()*?";
  let x = seed;
  let out = "";
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out += chars[x % chars.length];
  }
  return out;
}
const RANDOM = Array.from({ length: 300 }, (_, i) => randomWord(i + 1, 1 + (i % 17)));

const roundTrip = (key: string, value: string) => {
  const text = formatUnit(["# test"], new UnitBuilder().section("Container").set(key, value));
  const [only] = lookupAll(parseUnit(text), "Container", key);
  return decodeValue(key, only!);
};

describe("quoting round-trips through a unit file", () => {
  it.each([...TRICKY, ...RANDOM].map((w) => [JSON.stringify(w), w]))(
    "%s as a word of Exec=, Environment= and PodmanArgs=",
    (_, word) => {
      expect(roundTrip("Exec", quoteWords(["first", word, "last"]))).toEqual([
        "first",
        word,
        "last",
      ]);
      expect(roundTrip("Environment", quoteWord(`NAME=${word}`))).toEqual([`NAME=${word}`]);
      expect(roundTrip("PodmanArgs", quoteWord(`--opt=${word}`))).toEqual([`--opt=${word}`]);
    },
  );

  it("keeps raw values as written, with only % and $ doubled", () => {
    for (const value of ["/srv/my data:/data:ro", "/100%/$dir:/x", 'a "quoted" \\path', "ünï"]) {
      expect(rawValue(value, "volume")).toBe(escapeExpansion(value));
      expect(roundTrip("Volume", rawValue(value, "volume"))).toEqual([value]);
    }
  });

  it("refuses raw values a unit line cannot hold", () => {
    for (const value of ["", "new\nline", " lead", "trail ", "tab\tin", "cont\\"])
      expect(() => rawValue(value, "volume")).toThrow(ConvertError);
  });
});
