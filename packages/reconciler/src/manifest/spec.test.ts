import { describe, expect, it } from "vitest";
import { parseManifest, type AppManifest } from "./index.js";
import { configHash } from "./spec.js";

const minimal = (id: string, extra = "") =>
  `app:\n  id: ${id}\n  name: ${id}\n  version: "1"\n  container:\n    image: localhost/${id}:1\n${extra}`;

describe("configHash", () => {
  const parse = (text: string) => parseManifest(text, "/m/web.yaml").app as AppManifest;
  const base = parse(minimal("web", '    env: { A: "1", B: "2" }\n    ports: ["8080:80"]\n'));

  it("ignores key order, comments and fields that do not reach the container", () => {
    const reordered = parse(
      `# comment\napp:\n  version: "2"\n  name: Other name\n  container:\n    ports: ["8080:80"]   # same\n    env: { B: "2", A: "1" }\n    image: localhost/web:1\n  id: web\n  restart: { policy: no }\n`,
    );
    expect(configHash(reordered, "img1", {})).toBe(configHash(base, "img1", {}));
  });

  it("changes with a spec field, the image id, or a config file's content", () => {
    const h = configHash(base, "img1", { "/m/a.conf": "x" });
    expect(
      configHash(
        parse(minimal("web", '    env: { A: "1", B: "3" }\n    ports: ["8080:80"]\n')),
        "img1",
        { "/m/a.conf": "x" },
      ),
    ).not.toBe(h);
    expect(configHash(base, "img2", { "/m/a.conf": "x" })).not.toBe(h);
    expect(configHash(base, "img1", { "/m/a.conf": "y" })).not.toBe(h);
    expect(configHash(base, "img1", { "/m/a.conf": null })).not.toBe(h);
    expect(configHash(base, "img1", { "/m/a.conf": Buffer.from("x") })).toBe(h);
  });
});
