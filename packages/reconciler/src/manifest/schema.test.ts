import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseManifest } from "./parse.js";
import { formatManifestError } from "./positions.js";
import { allowedKeys, keysAt, manifestSchema } from "./schema.js";

const app = manifestSchema.shape.app.shape;
const container = app.container.shape;
const healthcheck = container.healthcheck.unwrap().shape;
const restart = app.restart.unwrap().shape;
/** Every object of the manifest schema with its fields, read from `.shape`. */
const schemaObjects: [string[], Record<string, unknown>][] = [
  [[], manifestSchema.shape],
  [["app"], app],
  [["app", "container"], container],
  [["app", "container", "build"], container.build.unwrap().shape],
  [["app", "container", "healthcheck"], healthcheck],
  [["app", "container", "healthcheck", "http"], healthcheck.http.unwrap().shape],
  [["app", "container", "healthcheck", "tcp"], healthcheck.tcp.unwrap().shape],
  [["app", "restart"], restart],
  [["app", "restart", "backoff"], restart.backoff.unwrap().shape],
  [["app", "hooks"], app.hooks.unwrap().shape],
];

/** Every object `allowedKeys` knows of, as dotted paths, found by walking it down from the root. */
function allowedObjects(path: string[] = []): string[] {
  const keys = allowedKeys(path);
  return keys.length ? [path.join("."), ...keys.flatMap((k) => allowedObjects([...path, k]))] : [];
}

/** A YAML document with `line` nested under the maps of `path`. */
const nested = (path: string[], line: string) =>
  [...path.map((p, i) => `${"  ".repeat(i)}${p}:`), `${"  ".repeat(path.length)}${line}`].join(
    "\n",
  ) + "\n";

const errorsOf = (text: string) =>
  parseManifest(text, "apps/x.yaml").errors.map(formatManifestError);

describe("allowedKeys", () => {
  it("reads each object's keys from the schema, in schema order", () => {
    for (const [path, shape] of schemaObjects)
      expect(allowedKeys(path)).toEqual(Object.keys(shape));
    expect(allowedObjects()).toEqual(
      expect.arrayContaining(schemaObjects.map(([path]) => path.join("."))),
    );
    expect(allowedKeys(["app", "container", "env"])).toEqual([]);
    expect(allowedKeys(["app", "nope"])).toEqual([]);
  });

  it("accepts every key of the schema where it belongs, and hints it for a near miss", () => {
    for (const [path, shape] of schemaObjects) {
      for (const key of Object.keys(shape)) {
        expect(errorsOf(nested(path, `${key}: 1`)).join("\n")).not.toMatch(/unknown key/);
        const typo = key + key.at(-1);
        expect(errorsOf(nested(path, `${typo}: 1`))).toContainEqual(
          `apps/x.yaml:${path.length + 1}:${2 * path.length + 1}: ${[...path, typo].join(".")}: unknown key "${typo}" (did you mean "${key}"?)`,
        );
      }
    }
  });

  it("follows a schema through wrappers, arrays and records, so a new field needs no other change", () => {
    const schema = z.strictObject({
      a: z
        .strictObject({
          b: z.string(),
          list: z.array(z.strictObject({ d: z.number() })).optional(),
          byName: z.record(z.string(), z.strictObject({ f: z.boolean() })).nullable(),
          piped: z.strictObject({ g: z.string() }).transform((x) => x.g),
        })
        .readonly()
        .default({ b: "", byName: null, piped: "" }),
    });
    expect(keysAt(schema, [])).toEqual(["a"]);
    expect(keysAt(schema, ["a"])).toEqual(["b", "list", "byName", "piped"]);
    expect(keysAt(schema, ["a", "list", 0])).toEqual(["d"]);
    expect(keysAt(schema, ["a", "byName", "anything"])).toEqual(["f"]);
    expect(keysAt(schema, ["a", "piped"])).toEqual(["g"]);
    expect(keysAt(schema, ["a", "b"])).toEqual([]);
    expect(keysAt(schema, ["a", "list", "x"])).toEqual([]);
    expect(keysAt(schema, ["a", "missing", "x"])).toEqual([]);
    expect(keysAt(schema, ["a", "toString"])).toEqual([]);
    const extended = z.strictObject({
      app: manifestSchema.shape.app.extend({ labels: z.strictObject({ team: z.string() }) }),
    });
    expect(keysAt(extended, ["app"])).toEqual([...allowedKeys(["app"]), "labels"]);
    expect(keysAt(extended, ["app", "labels"])).toEqual(["team"]);
  });
});
