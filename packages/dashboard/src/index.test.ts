import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DASHBOARD_ASSET_PATHS, dashboardAsset } from "./index.js";

const page = () => dashboardAsset("/")!.body.toString("utf8");
/** The XML namespace names Preact and the icon carry: identifiers, never fetched. */
const NAMESPACES = /http:\/\/www\.w3\.org\/(2000\/svg|1998\/Math\/MathML|1999\/xhtml)/g;

describe("dashboardAsset", () => {
  it("serves the page at / and /index.html", () => {
    const asset = dashboardAsset("/")!;
    expect(asset.contentType).toBe("text/html; charset=utf-8");
    expect(page()).toMatch(/^<!doctype html>/i);
    expect(dashboardAsset("/index.html")).toBe(asset);
    expect(dashboardAsset("/?token=abc")).toBe(asset);
  });

  it("refers only to its own /assets/ files, each of which it serves with the right type", () => {
    const refs = [...page().matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
    expect(refs.length).toBe(3);
    for (const ref of refs) {
      expect(ref).toMatch(/^\/assets\/[a-z]+\.[0-9a-f]{10}\.(js|css|svg)$/);
      expect(DASHBOARD_ASSET_PATHS).toContain(ref);
    }
    const types = Object.fromEntries(
      refs.map((ref) => [ref.split(".").pop(), dashboardAsset(ref)!.contentType]),
    );
    expect(types).toEqual({
      js: "text/javascript; charset=utf-8",
      css: "text/css; charset=utf-8",
      svg: "image/svg+xml",
    });
  });

  it("carries no http(s) URL anywhere (works offline, no CDN)", () => {
    for (const path of DASHBOARD_ASSET_PATHS) {
      const text = dashboardAsset(path)!.body.toString("utf8").replace(NAMESPACES, "");
      expect(text, path).not.toMatch(/https?:\/\//i);
      expect(text, path).not.toMatch(/["'(]\/\/[a-z0-9]/i); // protocol-relative
    }
  });

  it("gives undefined for anything else", () => {
    for (const path of ["", "/x", "/assets/", "/assets/app.js", "/v1/apps", "/index.htm", "//"])
      expect(dashboardAsset(path), path).toBeUndefined();
  });

  it("gzips each body and gives it a strong ETag", () => {
    for (const path of DASHBOARD_ASSET_PATHS) {
      const asset = dashboardAsset(path)!;
      expect(gunzipSync(asset.gzip).equals(asset.body)).toBe(true);
      expect(asset.etag).toMatch(/^"[0-9a-f]{27}"$/);
    }
    const etags = new Set(DASHBOARD_ASSET_PATHS.map((p) => dashboardAsset(p)!.etag));
    expect(etags.size).toBe(DASHBOARD_ASSET_PATHS.length - 1); // "/" and "/index.html" are one
  });

  it("stays within the size budget: under 60 kB gzipped in all", () => {
    const unique = new Set(DASHBOARD_ASSET_PATHS.map((p) => dashboardAsset(p)!));
    const total = [...unique].reduce((sum, a) => sum + a.gzip.length, 0);
    expect(total).toBeLessThan(60_000);
  });
});
