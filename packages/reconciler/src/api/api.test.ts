import { describe, expect, it } from "vitest";
import type { ContainerState as RuntimeContainerState, HealthStatus } from "@archy/runtime-podman";
import {
  formatManifestError,
  isTransitional,
  TRANSITIONAL_PHASES,
  type ContainerState,
  type Health,
  type Phase,
} from "./index.js";

/** True only when A and B are the same type: a mismatch fails `tsc --noEmit`, not at run time. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// The API declares podman's words itself (it imports nothing); these keep it in step.
const healthInStep: Same<Health, HealthStatus> = true;
const stateInStep: Same<ContainerState, RuntimeContainerState> = true;

describe("@archy/reconciler/api", () => {
  it("is in step with runtime-podman's types", () => {
    expect([healthInStep, stateInStep]).toEqual([true, true]);
  });

  it("calls exactly the operations' phases transitional; a phase it does not know is not", () => {
    const all: Record<Phase, true> = {
      running: true,
      starting: true,
      stopping: true,
      restarting: true,
      updating: true,
      installing: true,
      removing: true,
      stopped: true,
      exited: true,
      missing: true,
      created: true,
      paused: true,
      unhealthy: true,
      backoff: true,
      failed: true,
      unknown: true,
    };
    const transitional = (Object.keys(all) as Phase[]).filter((p) => isTransitional(p));
    expect(transitional).toEqual([
      "starting",
      "stopping",
      "restarting",
      "updating",
      "installing",
      "removing",
    ]);
    expect(transitional).toEqual([...TRANSITIONAL_PHASES]);
    expect(isTransitional("migrating")).toBe(false);
  });

  it("formats a manifest error as file:line:column: path: message, without a path for a file-level one", () => {
    const e = { file: "web.yaml", line: 3, column: 7, path: "app.id", message: "required" };
    expect(formatManifestError(e)).toBe("web.yaml:3:7: app.id: required");
    expect(formatManifestError({ ...e, path: "" })).toBe("web.yaml:3:7: required");
  });

  it("imports nothing but its own files, so a client loads no reconciler code through it", async () => {
    const { readdir, readFile } = await import("node:fs/promises");
    const here = new URL(".", import.meta.url);
    const files = (await readdir(here)).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    expect(files.sort()).toEqual(["http.ts", "index.ts", "phase.ts", "status.ts"]);
    for (const f of files) {
      const text = await readFile(new URL(f, here), "utf8");
      for (const [, from, dynamic] of text.matchAll(/\bfrom\s+"([^"]+)"|import\(\s*"([^"]+)"/g))
        expect(`${f}: ${from ?? dynamic}`).toMatch(/^[a-z]+\.ts: \.\/(phase|status|http)\.js$/);
    }
  });
});
