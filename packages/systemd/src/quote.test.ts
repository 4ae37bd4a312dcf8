import { describe, expect, it } from "vitest";
import { SystemdError } from "./errors.js";
import {
  environmentAssignment,
  escapeSpecifiers,
  execLine,
  pathList,
  quoteWord,
  splitWords,
} from "./quote.js";

describe("quoteWord: a word as systemd reads it back", () => {
  it.each<[string, string]>([
    ["plain", "plain"],
    ["/usr/bin/node", "/usr/bin/node"],
    ["127.0.0.1:7777", "127.0.0.1:7777"],
    ["", '""'],
    ["two words", '"two words"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["back\\slash", '"back\\\\slash"'],
    ["100%", '"100%%"'],
    ["%h/x", '"%%h/x"'],
    ["it's", '"it\'s"'],
    ["$HOME", '"$HOME"'],
    ["tab\there", '"tab\there"'],
  ])("%j -> %s", (word, written) => expect(quoteWord(word)).toBe(written));

  it("doubles $ in a command line only: systemd expands $VAR there, not in Environment=", () => {
    expect(quoteWord("$HOME", { exec: true })).toBe('"$$HOME"');
    expect(quoteWord("a$$b", { exec: true })).toBe('"a$$$$b"');
    expect(quoteWord("$HOME")).toBe('"$HOME"');
  });

  it("refuses what a unit cannot hold", () => {
    for (const bad of ["a\nb", "a\rb", "a\0b"]) {
      expect(() => quoteWord(bad)).toThrow(SystemdError);
      try {
        quoteWord(bad);
      } catch (error) {
        expect((error as SystemdError).code).toBe("EUNITVALUE");
      }
    }
  });

  it("escapeSpecifiers doubles every %", () => expect(escapeSpecifiers("%%a%")).toBe("%%%%a%%"));
});

describe("splitWords reads back what quoteWord writes", () => {
  const nasty = [
    "plain",
    "",
    "two words",
    'say "hi"',
    "back\\slash\\",
    "100% %h %%",
    "$HOME ${USER} $$",
    "it's 'quoted'",
    "  spaces  ",
    "tab\tand=sign,comma@at:colon",
  ];

  it.each(nasty)("%j round-trips in a command line", (word) => {
    const line = execLine(["/usr/bin/node", word, "x"]);
    expect(splitWords(line, { exec: true })).toEqual(["/usr/bin/node", word, "x"]);
  });

  it.each(nasty)("%j round-trips in an Environment= value", (value) => {
    expect(splitWords(environmentAssignment("NAME", value))).toEqual([`NAME=${value}`]);
  });

  it("splits on runs of white space, and keeps quoted spaces", () => {
    expect(splitWords(' a  "b c"\td ')).toEqual(["a", "b c", "d"]);
    expect(splitWords("'single quoted' x")).toEqual(["single quoted", "x"]);
  });
});

describe("execLine, environmentAssignment, pathList", () => {
  it("a command line starts with an absolute path", () => {
    expect(execLine(["/usr/bin/node", "/opt/my apps/archy.js", "daemon"])).toBe(
      '/usr/bin/node "/opt/my apps/archy.js" daemon',
    );
    expect(() => execLine(["node", "x"])).toThrow(/absolute path/);
    expect(() => execLine([])).toThrow(/absolute path/);
  });

  it("the executable's path: % doubled, $ kept (systemd expands neither there), quotes and backslashes refused", () => {
    expect(execLine(["/opt/100% $x/node", "$x"])).toBe('"/opt/100%% $x/node" "$$x"');
    expect(splitWords(execLine(["/opt/100% $x/node", "$x"]), { exec: true })).toEqual([
      "/opt/100% $x/node",
      "$x",
    ]);
    for (const bad of [
      '/opt/"q"/node',
      "/opt/it's/node",
      "/opt/back\\slash/node",
      "/opt/tab\t/node",
    ])
      expect(() => execLine([bad, "x"])).toThrow(/quote, a backslash or a control character/);
  });

  it("quotes the whole assignment, and refuses a bad name", () => {
    expect(environmentAssignment("ARCHY_PODMAN_ARGS", "--root /a b")).toBe(
      '"ARCHY_PODMAN_ARGS=--root /a b"',
    );
    expect(environmentAssignment("ARCHY_STATE_DIR", "/var/lib/archy")).toBe(
      "ARCHY_STATE_DIR=/var/lib/archy",
    );
    expect(() => environmentAssignment("BAD NAME", "x")).toThrow(/invalid environment/);
    expect(() => environmentAssignment("1X", "x")).toThrow(/invalid environment/);
  });

  it("paths with spaces stay one path each; relative paths are refused", () => {
    expect(pathList(["/srv/my state", "/etc/archy/apps"])).toBe('"/srv/my state" /etc/archy/apps');
    expect(splitWords(pathList(["/srv/my state", "/a%b"]))).toEqual(["/srv/my state", "/a%b"]);
    expect(() => pathList(["relative/x"])).toThrow(/absolute/);
  });
});
