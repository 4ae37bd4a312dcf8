import { describe, expect, it } from "vitest";
import { appIdOf, normalizeProjectName } from "./names.js";
import { archyDuration, composeDurationMs, splitWords } from "./values.js";
import { imageTag } from "./map-service.js";

describe("durations", () => {
  it("reads compose's Go-style durations", () => {
    expect(composeDurationMs("1m30s")).toBe(90_000);
    expect(composeDurationMs("1h2m3.5s")).toBe(3_723_500);
    expect(composeDurationMs("500ms")).toBe(500);
    expect(composeDurationMs("1500us")).toBe(2);
    expect(composeDurationMs("10")).toBe(10_000);
    expect(composeDurationMs(5)).toBe(5_000);
    expect(composeDurationMs("10 s")).toBeNull();
    expect(composeDurationMs("1d")).toBeNull();
  });

  it("writes archy's single-unit form, the largest exact unit", () => {
    expect(archyDuration(90_000)).toBe("90s");
    expect(archyDuration(120_000)).toBe("2m");
    expect(archyDuration(7_200_000)).toBe("2h");
    expect(archyDuration(1_500)).toBe("1500ms");
    expect(archyDuration(0)).toBe("0s");
  });
});

describe("command words", () => {
  it("splits like a shell without running one", () => {
    expect(splitWords("bundle exec puma -C config/puma.rb")).toEqual([
      "bundle",
      "exec",
      "puma",
      "-C",
      "config/puma.rb",
    ]);
    expect(splitWords(`sh -c 'echo "$HOME"  x' "a \\"b\\"" c\\ d`)).toEqual([
      "sh",
      "-c",
      'echo "$HOME"  x',
      'a "b"',
      "c d",
    ]);
    expect(splitWords("  ")).toEqual([]);
    expect(splitWords("a ''")).toEqual(["a", ""]);
    expect(splitWords("unbalanced 'quote")).toBeNull();
  });
});

describe("names", () => {
  it("normalises a project name as compose does", () => {
    expect(normalizeProjectName("My Project.v2")).toBe("myprojectv2");
    expect(normalizeProjectName("__x-Y")).toBe("x-y");
  });

  it("makes <project>-<service> an archy app id, or says it cannot", () => {
    expect(appIdOf("shop", "Web_Front.1")).toBe("shop-web-front-1");
    expect(appIdOf("shop", "--x--")).toBe("shop-x");
    expect(appIdOf("p", "s".repeat(61))).toBe(`p-${"s".repeat(61)}`);
    expect(appIdOf("p", "s".repeat(62))).toBeNull();
  });

  it("takes the tag of an image reference", () => {
    expect(imageTag("nginx")).toBeUndefined();
    expect(imageTag("localhost:5000/app")).toBeUndefined();
    expect(imageTag("localhost:5000/app:1.2")).toBe("1.2");
    expect(imageTag("valkey/valkey:8-bookworm@sha256:abc")).toBe("8-bookworm");
  });
});
