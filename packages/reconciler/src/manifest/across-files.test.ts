import { describe, expect, it } from "vitest";
import { checkAcrossFiles } from "./across-files.js";
import { parseManifest } from "./parse.js";
import { formatManifestError } from "./positions.js";

const app = (id: string, deps: string[] = [], extra = "") =>
  parseManifest(
    `app:\n  id: ${id}\n  name: ${id}\n  version: "1"\n  depends_on: [${deps.join(", ")}]\n  container:\n    image: localhost/${id}:1\n${extra}`,
    `apps/${id}.yaml`,
  );

describe("checkAcrossFiles", () => {
  it("keeps the first of a duplicate id and names the file that declared it", () => {
    const first = app("web");
    const again = { ...app("web"), file: "apps/web-copy.yaml" };
    const { apps, errors } = checkAcrossFiles([first, again]);
    expect(apps).toEqual([first.app]);
    expect(errors.map(formatManifestError)).toEqual([
      'apps/web-copy.yaml:2:7: app.id: duplicate app id "web" (already declared in apps/web.yaml)',
    ]);
  });

  it("drops an app with an unknown dependency, with a hint; an invalid dependency is not unknown", () => {
    const broken = app("db", [], "    nope: 1\n");
    const { apps, errors, invalidIds } = checkAcrossFiles([
      broken,
      app("web", ["db"]),
      app("api", ["webb"]),
    ]);
    expect(apps.map((a) => a.id)).toEqual(["web"]);
    expect(errors.map(formatManifestError)).toContainEqual(
      'apps/api.yaml:5:16: app.depends_on[0]: unknown app "webb" (did you mean "web"?)',
    );
    expect(invalidIds.sort()).toEqual(["api", "db"]);
  });

  it("reports every app on a dependency cycle at the dependency that closes it", () => {
    const { apps, errors, invalidIds } = checkAcrossFiles([
      app("a", ["b"]),
      app("b", ["c"]),
      app("c", ["x", "a"]),
      app("x"),
    ]);
    expect(apps.map((a) => a.id)).toEqual(["x"]);
    expect(errors.map(formatManifestError)).toEqual([
      "apps/a.yaml:5:16: app.depends_on[0]: dependency cycle: a -> b -> c -> a",
      "apps/b.yaml:5:16: app.depends_on[0]: dependency cycle: a -> b -> c -> a",
      "apps/c.yaml:5:19: app.depends_on[1]: dependency cycle: a -> b -> c -> a",
    ]);
    expect(invalidIds.sort()).toEqual(["a", "b", "c"]);
  });
});
