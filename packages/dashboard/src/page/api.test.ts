import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, httpApi } from "./api.js";

const answer = (status: number, body: string, headers: Record<string, string> = {}) =>
  vi.fn(async (_url: string, _init?: RequestInit) => new Response(body, { status, headers }));

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the page's API client", () => {
  it("GETs a relative URL, uncached, and hands back the body and the Date header", async () => {
    const fetch = answer(200, '{"apps":[]}', { date: "Wed, 02 Dec 2026 15:00:00 GMT" });
    vi.stubGlobal("fetch", fetch);
    await expect(httpApi.get("/v1/apps")).resolves.toEqual({
      body: { apps: [] },
      date: "Wed, 02 Dec 2026 15:00:00 GMT",
    });
    expect(fetch.mock.calls[0]![0]).toBe("/v1/apps");
    expect(fetch.mock.calls[0]![1]).toMatchObject({ method: "GET", cache: "no-store" });
  });

  it("POSTs an operation as JSON (never a simple cross-site form) and returns the app", async () => {
    const fetch = answer(202, '{"app":{"id":"web","phase":"stopping"}}');
    vi.stubGlobal("fetch", fetch);
    await expect(httpApi.operate("web", "stop")).resolves.toEqual({ id: "web", phase: "stopping" });
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("/v1/apps/web/stop");
    expect(init).toMatchObject({ method: "POST", body: "{}" });
    expect((init!.headers as Record<string, string>)["content-type"]).toBe("application/json");
  });

  it("escapes the app id in the path", async () => {
    const fetch = answer(202, '{"app":{}}');
    vi.stubGlobal("fetch", fetch);
    await httpApi.operate("a/b?c", "start");
    expect(fetch.mock.calls[0]![0]).toBe("/v1/apps/a%2Fb%3Fc/start");
  });

  it("throws the daemon's error message with the status", async () => {
    vi.stubGlobal("fetch", answer(400, '{"error":{"message":"unknown app: x","exitCode":2}}'));
    const error = await httpApi.operate("x", "start").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ name: "ApiError", message: "unknown app: x", status: 400 });
  });

  it("says the status when the answer is not the API's JSON", async () => {
    vi.stubGlobal("fetch", answer(502, "<html>Bad gateway</html>"));
    await expect(httpApi.get("/v1/daemon")).rejects.toMatchObject({
      message: "GET /v1/daemon: HTTP 502",
      status: 502,
    });
  });

  it("says the daemon did not answer on a network error (status 0)", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => {
        throw new TypeError("Failed to fetch");
      }),
    );
    await expect(httpApi.get("/v1/apps")).rejects.toMatchObject({
      message: "the daemon did not answer (Failed to fetch)",
      status: 0,
    });
  });
});
