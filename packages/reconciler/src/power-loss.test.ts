import { join } from "node:path";
import { checkWritePath, formatViolation } from "@archy/durable-fs/testing";
import { describe, expect, it } from "vitest";
import {
  APPS,
  loadManifestsFolder,
  manifestText,
  reconcilerWritePaths,
} from "./power-loss.scenarios.js";

describe("a power cut while desired.json or a manifest is written", () => {
  for (const path of reconcilerWritePaths()) {
    it(`${path.name}: every crash state loads the old content or the new, the new once acknowledged`, async () => {
      const report = await checkWritePath(path);
      expect(report.violations.map((v) => formatViolation(report, v))).toEqual([]);
      expect(report.states).toBeGreaterThanOrEqual(2);
    });
  }

  it("regression: the manifest write archy had (writeFile, rename, no fsync) loses an installed manifest", async () => {
    const report = await checkWritePath({
      name: "manifests: install without fsync",
      setup: (fs) => fs.mkdir(APPS, 0o755).then(() => undefined),
      write: async (fs) => {
        const file = await fs.create(join(APPS, ".web.0000.tmp"), 0o600);
        await file.write(manifestText("web"));
        await file.close();
        await fs.rename(join(APPS, ".web.0000.tmp"), join(APPS, "web.yaml"));
      },
      load: loadManifestsFolder,
    });
    const acknowledged = report.violations.filter((v) => v.expected.startsWith("the new"));
    // After install resolved, a power cut could leave no web.yaml, or one empty or torn.
    expect(acknowledged.map((v) => v.found)).toEqual(
      expect.arrayContaining([
        '{"apps":[],"errors":[]}',
        expect.stringMatching(/"errors":\["web.yaml/),
      ]),
    );
  });
});
