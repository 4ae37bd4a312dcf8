import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConvertError } from "../errors.js";
import { parseEnvFile } from "./env-files.js";
import { importCompose } from "./import.js";
import { interpolate, InterpolationError } from "./interpolate.js";

const vars: Record<string, string> = { SET: "value", EMPTY: "", NUM: "8080" };
const lookup = (n: string) => vars[n];
const value = (s: string) => interpolate(s, lookup).value;

describe("interpolate", () => {
  it("substitutes $VAR and ${VAR}", () => {
    expect(value("a $SET b ${SET}c")).toBe("a value b valuec");
    expect(value("${NUM}:80")).toBe("8080:80");
  });

  it("keeps $$ as a literal $ and does not substitute after it", () => {
    expect(value("pg_isready -d $${POSTGRES_DB}")).toBe("pg_isready -d ${POSTGRES_DB}");
    expect(value("cost: $$5 $$$SET")).toBe("cost: $5 $value");
  });

  it("blanks an unset variable and names it", () => {
    expect(interpolate("x${NOPE}y$ALSO_NOPE", lookup)).toEqual({
      value: "xy",
      unset: ["NOPE", "ALSO_NOPE"],
    });
  });

  it(":- uses the default when unset or empty, - only when unset", () => {
    expect(value("${NOPE:-d}|${EMPTY:-d}|${SET:-d}")).toBe("d|d|value");
    expect(value("${NOPE-d}|${EMPTY-d}|${SET-d}")).toBe("d||value");
    expect(value("${NOPE-:2283:2283}")).toBe(":2283:2283");
  });

  it(":+ and + replace when set", () => {
    expect(value("${SET:+r}|${EMPTY:+r}|${NOPE:+r}")).toBe("r||");
    expect(value("${SET+r}|${EMPTY+r}|${NOPE+r}")).toBe("r|r|");
  });

  it("nests defaults and interpolates them", () => {
    expect(value("${NOPE:-${ALSO:-${SET}}}")).toBe("value");
    expect(value("${NOPE:-a-$NUM-b}")).toBe("a-8080-b");
    expect(value("${SET:-${NOPE?never evaluated}}")).toBe("value");
  });

  it(":? fails when unset or empty, ? only when unset, with the message", () => {
    expect(() => value("${NOPE:?set it}")).toThrow(/required variable NOPE is not set: set it/);
    expect(() => value("${EMPTY:?must not be empty}")).toThrow(/EMPTY is empty: must not be empty/);
    expect(value("${EMPTY?x}")).toBe("");
    const e = (() => {
      try {
        value("${NOPE?err}");
      } catch (error) {
        return error;
      }
    })();
    expect(e).toBeInstanceOf(InterpolationError);
    expect((e as InterpolationError).variable).toBe("NOPE");
  });

  it("refuses malformed templates", () => {
    expect(() => value("a $ b")).toThrow(/invalid interpolation format/);
    expect(() => value("${SET")).toThrow(/invalid interpolation format/);
    expect(() => value("${1X}")).toThrow(/invalid interpolation format/);
    expect(() => value("${SET!x}")).toThrow(/invalid interpolation format/);
  });
});

describe("env files", () => {
  it("parses dotenv text, interpolating unquoted and double-quoted values only", () => {
    const text = "A=1\nB=${A}-x\nexport C=\"$A$A\"\nD='${A}'\n# E=2\nF=${HOSTVAR:-h}\n";
    const r = parseEnvFile("x.env", text, (n) => (n === "HOSTVAR" ? "host" : undefined));
    expect(r.values).toEqual({ A: "1", B: "1-x", C: "11", D: "${A}", F: "host" });
  });

  it("locates an error of an env file at its line", () => {
    try {
      parseEnvFile("x.env", "A=1\n\nB=${NOPE:?needed}\n", () => undefined);
      expect.unreachable();
    } catch (error) {
      expect(ConvertError.isInstance(error) && error.code).toBe("EINTERPOLATE");
      expect((error as ConvertError).locations[0]).toMatchObject({
        file: "x.env",
        line: 3,
        path: "B",
      });
    }
  });
});

describe("interpolation of a compose file", () => {
  async function project(files: Record<string, string>) {
    const dir = await mkdtemp(join(tmpdir(), "archy-compose-"));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return dir;
  }

  it("takes variables from the environment first, then the .env beside the file", async () => {
    const dir = await project({
      ".env": "TAG=from-dotenv\nPORT=808\nDERIVED=${PORT}0\n",
      "compose.yaml":
        "services:\n  web:\n    image: nginx:${TAG}\n    ports: ['${DERIVED}:80', '${PORT}:81']\n",
    });
    const r = await importCompose({ file: join(dir, "compose.yaml"), env: { TAG: "from-env" } });
    const text = r.manifests[0]!.text;
    expect(text).toContain("image: nginx:from-env");
    expect(text).toContain("version: from-env");
    expect(text).toContain("ports:\n      - 8080:80\n      - 808:81\n");
  });

  it("env precedence: environment over env_file, later env_file over earlier, host pass-through", async () => {
    const dir = await project({
      ".env": "FROM_DOTENV=dot\n",
      "a.env": "A=from-a\nB=from-a\nC=from-a\n",
      "b.env": "B=from-b\nC=from-b\n",
      "compose.yaml": [
        "services:",
        "  web:",
        "    image: nginx:1",
        "    env_file: [a.env, b.env, { path: missing.env, required: false }]",
        "    environment:",
        "      C: from-environment",
        "      PASSED:",
        "      FROM_DOTENV:",
        "      ABSENT:",
        "",
      ].join("\n"),
    });
    const r = await importCompose({ file: join(dir, "compose.yaml"), env: { PASSED: "host" } });
    expect(r.manifests[0]!.text).toContain(
      [
        "    env:",
        "      A: from-a",
        "      B: from-b",
        "      C: from-environment",
        "      PASSED: host",
        "      FROM_DOTENV: dot",
      ].join("\n"),
    );
    expect(r.manifests[0]!.text).not.toContain("ABSENT");
    expect(r.warnings.map((w) => `${w.line}:${w.column} ${w.path}`)).toContain(
      "9:7 services.web.environment.ABSENT",
    );
  });

  it("an unset ${VAR?err} is EINTERPOLATE naming the variable and place", async () => {
    const text =
      "services:\n  web:\n    image: nginx\n    environment:\n      KEY: ${SECRET_KEY:?secret key required}\n";
    const error = await importCompose({ file: "/nowhere/compose.yaml", text, env: {} }).catch(
      (e: unknown) => e,
    );
    expect(ConvertError.isInstance(error) && error.code).toBe("EINTERPOLATE");
    const e = error as ConvertError;
    expect(e.locations).toEqual([
      {
        file: "/nowhere/compose.yaml",
        line: 5,
        column: 12,
        path: "services.web.environment.KEY",
        message: "required variable SECRET_KEY is not set: secret key required",
      },
    ]);
    expect(e.message).toContain(
      "/nowhere/compose.yaml:5:12: services.web.environment.KEY: required variable SECRET_KEY",
    );
  });

  it("warns, at the value, about a variable used while unset", async () => {
    const ok = await importCompose({
      file: "/nowhere/compose.yaml",
      text: "services:\n  web:\n    image: nginx${TAG}\n",
      env: {},
    });
    expect(ok.warnings[0]).toMatchObject({
      line: 3,
      column: 12,
      path: "services.web.image",
      message: "variable TAG is not set: it defaults to a blank string",
    });
  });
});
