import { describe, expect, it } from "vitest";
import { ConvertError } from "../errors.js";
import { importCompose } from "./import.js";

const FILE = "/srv/app/compose.yaml";
async function failure(text: string, strict = false): Promise<ConvertError> {
  const error = await importCompose({ file: FILE, text, env: {}, strict }).catch((e: unknown) => e);
  if (!ConvertError.isInstance(error))
    throw new Error(`expected a ConvertError, got ${String(error)}`);
  return error;
}
const where = (e: ConvertError) =>
  e.locations.map((l) => `${l.line}:${l.column} ${l.path}: ${l.message}`);

describe("validation against the compose specification", () => {
  it("reports every schema violation with its place, key path and what was expected", async () => {
    const e = await failure(
      [
        "services:",
        "  web:",
        "    image: [nginx]",
        "    environment: 5",
        "    restrt: always",
        "    ports: 8080",
        "    healthcheck:",
        "      intervl: 3s",
        "  'bad name':",
        "    image: x",
        "volumes: []",
        "",
      ].join("\n"),
    );
    expect(e.code).toBe("ECOMPOSE");
    expect(where(e)).toEqual([
      "3:12 services.web.image: expected a string",
      "4:18 services.web.environment: expected a map or a list",
      '5:5 services.web.restrt: unknown key "restrt" (did you mean "restart"?)',
      "6:12 services.web.ports: expected a list",
      '8:7 services.web.healthcheck.intervl: unknown key "intervl" (did you mean "interval"?)',
      '9:3 services["bad name"]: "bad name" is not a valid name (expected letters, digits, ".", "_" and "-")',
      "11:10 volumes: expected a map",
    ]);
    expect(e.message.split("\n")[0]).toBe(`${FILE} is not a valid compose file:`);
    expect(e.message).toContain(`  ${FILE}:3:12: services.web.image: expected a string`);
  });

  it("accepts version 2 and 3 files alike", async () => {
    for (const version of ["'2'", "'2.4'", "'3.8'"]) {
      const r = await importCompose({
        file: FILE,
        text: `version: ${version}\nservices:\n  web:\n    image: nginx\n`,
        env: {},
      });
      expect(r.manifests).toHaveLength(1);
      expect(r.warnings).toEqual([]);
    }
  });

  it("reports invalid YAML at its place", async () => {
    const e = await failure("services:\n  web:\n    image: nginx\n   bad: [\n");
    expect(e.code).toBe("ECOMPOSE");
    expect(e.locations[0]!.line).toBeGreaterThanOrEqual(4);
    expect(e.locations[0]!.message).toMatch(/^invalid YAML: /);
    const dup = await failure("services:\n  web:\n    image: a\n    image: b\n");
    expect(where(dup)[0]).toMatch(/^4:5 : invalid YAML: .*unique/i);
  });

  it("refuses a file without services, and a service without image or build", async () => {
    expect((await failure("name: x\n")).locations[0]!.message).toMatch(/at least one service/);
    expect(where(await failure("services:\n  web:\n    command: [x]\n"))).toEqual([
      "2:3 services.web: has neither an image nor a build",
    ]);
  });
});

describe("warnings", () => {
  const text = [
    "x-common: &common",
    "  logging: { driver: json-file }",
    "services:",
    "  web:",
    "    <<: *common",
    "    image: nginx:1",
    "    labels: [a=b]",
    "    deploy:",
    "      replicas: 2",
    "    ports: ['8080:80', '80']",
    "    restart: on-failure:5",
    "secrets:",
    "  token: { file: ./token }",
    "",
  ].join("\n");

  it("name file:line:column and the key of everything archy cannot express", async () => {
    const r = await importCompose({ file: FILE, text, env: {} });
    expect(r.warnings.map((w) => `${w.file}:${w.line}:${w.column} ${w.path}`)).toEqual([
      `${FILE}:1:1 x-common`,
      `${FILE}:2:3 services.web.logging`,
      `${FILE}:7:5 services.web.labels`,
      `${FILE}:8:5 services.web.deploy`,
      `${FILE}:10:24 services.web.ports[1]`,
      `${FILE}:11:14 services.web.restart`,
      `${FILE}:12:1 secrets`,
    ]);
    for (const w of r.warnings) expect(w.message).not.toBe("");
  });

  it("--strict makes them one EUNSUPPORTED error listing them all", async () => {
    const e = await failure(text, true);
    expect(e.code).toBe("EUNSUPPORTED");
    expect(e.locations).toHaveLength(7);
    expect(e.message.split("\n")[0]).toBe(`--strict: 7 warnings for ${FILE}:`);
    expect(e.message).toContain(
      `${FILE}:7:5: services.web.labels: archy sets its own labels on the container: a is left out`,
    );
  });

  it("--strict passes a file archy expresses fully", async () => {
    const r = await importCompose({
      file: FILE,
      text: "services:\n  web:\n    image: nginx\n",
      env: {},
      strict: true,
    });
    expect(r.warnings).toEqual([]);
  });
});
