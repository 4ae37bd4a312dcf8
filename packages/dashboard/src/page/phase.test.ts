import { describe, expect, it } from "vitest";
import {
  healthText,
  isTransitional,
  opDisabled,
  PHASES,
  phaseLook,
  TRANSITIONAL_OF,
} from "./phase.js";
import type { Phase } from "./types.js";

const ALL: Phase[] = [
  "running",
  "starting",
  "stopping",
  "restarting",
  "updating",
  "installing",
  "removing",
  "stopped",
  "exited",
  "missing",
  "created",
  "paused",
  "unhealthy",
  "backoff",
  "failed",
  "unknown",
];

describe("phases", () => {
  it("knows every phase of SPEC section 5, transitional exactly for the six operations' phases", () => {
    expect(Object.keys(PHASES).sort()).toEqual([...ALL].sort());
    expect(ALL.filter(isTransitional)).toEqual([
      "starting",
      "stopping",
      "restarting",
      "updating",
      "installing",
      "removing",
    ]);
  });

  it("gives each phase a glyph, so colour is never the only sign", () => {
    for (const p of ALL) expect(PHASES[p].icon.trim(), p).not.toBe("");
    // The failing phases and the settled ones do not share a glyph with running.
    for (const p of ["exited", "failed", "unhealthy", "stopped", "backoff"] as Phase[])
      expect(PHASES[p].icon).not.toBe(PHASES.running.icon);
  });

  it("treats a phase it does not know (a newer daemon) as unknown", () => {
    expect(phaseLook("hibernating")).toBe(PHASES.unknown);
    expect(isTransitional("hibernating")).toBe(false);
  });

  it("maps each operation to the phase the daemon publishes when it begins", () => {
    expect(TRANSITIONAL_OF).toEqual({ start: "starting", stop: "stopping", restart: "restarting" });
  });

  it("disables the operation buttons while an operation runs or its request is in flight", () => {
    expect(opDisabled("running", false)).toBe(false);
    expect(opDisabled("stopped", false)).toBe(false);
    expect(opDisabled("failed", false)).toBe(false);
    expect(opDisabled("running", true)).toBe(true);
    for (const p of ["starting", "stopping", "restarting", "installing", "removing"])
      expect(opDisabled(p, false), p).toBe(true);
  });

  it("says - for an app without a health check", () => {
    expect(healthText(null)).toBe("-");
    expect(healthText("healthy")).toBe("healthy");
  });
});
