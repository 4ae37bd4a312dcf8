import { describe, expect, it } from "vitest";
import * as manifest from "./index.js";

describe("manifest", () => {
  it("re-exports the values its importers use, and no others", () => {
    expect(Object.keys(manifest).sort()).toEqual([
      "APP_ID",
      "MAX_MANIFEST_BYTES",
      "checkAcrossFiles",
      "didYouMean",
      "formatManifestError",
      "formatPath",
      "loadManifests",
      "parseManifest",
      "readManifestText",
    ]);
  });
});
