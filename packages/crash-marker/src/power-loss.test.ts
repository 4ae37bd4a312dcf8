import { checkWritePath, formatViolation } from "@archy/durable-fs/testing";
import { describe, expect, it } from "vitest";
import { markerWritePaths } from "./power-loss.scenarios.js";

describe("a power cut while the marker is written", () => {
  for (const path of markerWritePaths()) {
    it(`${path.name}: every crash state holds the old marker or the new, the new once acknowledged`, async () => {
      const report = await checkWritePath(path);
      expect(report.violations.map((v) => formatViolation(report, v))).toEqual([]);
      expect(report.states).toBeGreaterThanOrEqual(2);
    });
  }
});
