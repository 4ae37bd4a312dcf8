import { describe, expect, it } from "vitest";
import { appIdOf, normalizeProjectName } from "./names.js";
import { sizeText } from "../size.js";
import {
  archyDuration,
  composeBytes,
  composeDurationMs,
  composeNumber,
  splitWords,
} from "./values.js";
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

describe("sizes and numbers", () => {
  it("reads compose byte values as docker/go-units' RAMInBytes does (1024-based)", () => {
    expect(composeBytes("512m")).toBe(536_870_912);
    expect(composeBytes("512M")).toBe(536_870_912);
    expect(composeBytes("1.5gb")).toBe(1_610_612_736);
    expect(composeBytes("2GiB")).toBe(2_147_483_648);
    expect(composeBytes("100 k")).toBe(102_400);
    expect(composeBytes("1 gb")).toBe(1_073_741_824);
    expect(composeBytes("0.1g")).toBe(107_374_182);
    expect(composeBytes("1000")).toBe(1000);
    expect(composeBytes(1000)).toBe(1000);
    for (const bad of ["512q", "-1", "1  gb", "1gbb", "m", "", 1.5, -1, true])
      expect(composeBytes(bad), String(bad)).toBeNull();
  });

  it("writes bytes in their largest exact unit", () => {
    expect(sizeText(536_870_912)).toBe("512m");
    expect(sizeText(1_610_612_736)).toBe("1536m");
    expect(sizeText(2_147_483_648)).toBe("2g");
    expect(sizeText(102_400)).toBe("100k");
    expect(sizeText(1000)).toBe("1000b");
  });

  it("reads numbers written as numbers or strings", () => {
    expect(composeNumber("0.5")).toBe(0.5);
    expect(composeNumber(" .5 ")).toBe(0.5);
    expect(composeNumber("-1")).toBe(-1);
    expect(composeNumber(2)).toBe(2);
    for (const bad of ["two", "1e3", "", "0x10", null, Infinity])
      expect(composeNumber(bad), String(bad)).toBeNull();
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
