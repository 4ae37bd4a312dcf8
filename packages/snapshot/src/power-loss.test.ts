import { checkWritePath, formatViolation } from "@archy/durable-fs/testing";
import { describe, expect, it } from "vitest";
import { snapshotWritePaths } from "./power-loss.scenarios.js";

describe("a power cut during a save", () => {
  for (const path of snapshotWritePaths()) {
    it(`${path.name}: every crash state loads the old data or the new, the new once acknowledged`, async () => {
      const report = await checkWritePath(path);
      expect(report.violations.map((v) => formatViolation(report, v))).toEqual([]);
      expect(report.states).toBeGreaterThan(5);
    });
  }
});
