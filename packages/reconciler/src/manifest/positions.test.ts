import { describe, expect, it } from "vitest";
import { LineCounter, parseDocument } from "yaml";
import { locate } from "./locate.js";
import { didYouMean, formatManifestError, formatPath } from "./positions.js";

describe("positions", () => {
  it("formats a field path and an error", () => {
    expect(formatPath(["app", "container", "ports", 1])).toBe("app.container.ports[1]");
    expect(formatPath([])).toBe("");
    expect(
      formatManifestError({ file: "a.yaml", line: 2, column: 3, path: "", message: "m" }),
    ).toBe("a.yaml:2:3: m");
    expect(
      formatManifestError({ file: "a.yaml", line: 2, column: 3, path: "app.id", message: "m" }),
    ).toBe("a.yaml:2:3: app.id: m");
  });

  it("locates a node, a key, and a missing node at its parent's key", () => {
    const lc = new LineCounter();
    const doc = parseDocument("app:\n  id: web\n  container:\n    image: x\n", { lineCounter: lc });
    expect(locate(doc, lc, ["app", "id"])).toEqual({ line: 2, column: 7 });
    expect(locate(doc, lc, ["app"], "container")).toEqual({ line: 3, column: 3 });
    expect(locate(doc, lc, ["app", "container", "ports", 0])).toEqual({ line: 3, column: 3 });
    expect(locate(parseDocument(""), new LineCounter(), ["app"])).toEqual({ line: 1, column: 1 });
  });

  it("hints the nearest candidate, ignoring case and '-' for '_', only when it is near", () => {
    expect(didYouMean("imagee", ["image", "build"])).toBe("image");
    expect(didYouMean("Depends-On", ["depends_on"])).toBe("depends_on");
    expect(didYouMean("zzzzzz", ["image", "build"])).toBeNull();
    expect(didYouMean("x", [])).toBeNull();
  });
});
