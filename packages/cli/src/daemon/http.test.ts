// The status page's HTTP listener in process (see http.fixture.ts): access
// with the token, the session cookie or a bearer token; the Host and Origin
// checks; rotation; the token file.
import { chmod, rm, stat, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { cookieOf, fx, origin, PAGE, request, SCRIPT, useHttpListener } from "./http.fixture.js";
import { ensureToken, rotateToken, sessionFor, TokenFile, tokenPath } from "./token.js";

useHttpListener();

describe("access", () => {
  it("without the token or cookie: 401, a page saying to run archy dashboard, JSON for the API", async () => {
    const page = await request("GET", "/");
    expect(page.status).toBe(401);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.text).toContain("archy dashboard");
    expect(page.headers["www-authenticate"]).toBe('Bearer realm="archy"');
    const apiAnswer = await request("GET", "/v1/apps");
    expect(apiAnswer.status).toBe(401);
    expect(apiAnswer.json().error?.message).toMatch(/run archy dashboard/);
    expect((await request("GET", SCRIPT.path)).status).toBe(401);
    expect((await request("GET", "/v1/apps", { cookie: "archy_session=forged" })).status).toBe(401);
  });

  it("GET /?token=T: 303 to / with the session cookie; a wrong token: 401", async () => {
    const answer = await request("GET", `/?token=${fx.token}`);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe("/");
    expect(answer.headers["set-cookie"]).toEqual([
      `archy_session=${sessionFor(fx.token)}; HttpOnly; SameSite=Strict; Path=/`,
    ]);
    expect(answer.headers["set-cookie"]![0]).not.toContain(fx.token); // the cookie is not the token
    const wrong = await request("GET", `/?token=${fx.token.slice(0, -1)}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers["set-cookie"]).toBeUndefined();
  });

  it("the cookie opens the page, its assets and the API", async () => {
    const page = await request("GET", "/", cookieOf(fx.token));
    expect(page.status).toBe(200);
    expect(page.text).toBe(PAGE.body.toString());
    const apps = await request("GET", "/v1/apps", cookieOf(fx.token));
    expect(apps.status).toBe(200);
    expect(apps.json().apps).toEqual([expect.objectContaining({ id: "db" })]);
  });

  it("a bearer token opens the API; a wrong one does not", async () => {
    const ok = await request("GET", "/v1/daemon", { authorization: `Bearer ${fx.token}` });
    expect(ok.status).toBe(200);
    expect(ok.json().pid).toBe(1);
    const bad = await request("GET", "/v1/daemon", { authorization: `Bearer ${fx.token}x` });
    expect(bad.status).toBe(401);
    // A wrong bearer token is not rescued by a valid cookie.
    expect(
      (await request("GET", "/v1/daemon", { authorization: "Bearer nope", ...cookieOf(fx.token) }))
        .status,
    ).toBe(401);
  });

  it.each([
    ["an attacker's name (DNS rebinding)", "evil.example:PORT"],
    ["another port", "127.0.0.1:1"],
    ["no port (80)", "127.0.0.1"],
    ["a name with the right port", "archy.example:PORT"],
  ])("a Host header of %s: 421, before the token is looked at", async (_what, host) => {
    const answer = await request("GET", `/?token=${fx.token}`, {
      host: host.replace("PORT", String(fx.port)),
    });
    expect(answer.status).toBe(421);
    expect(answer.text).toContain(`http://127.0.0.1:${fx.port} only`);
    expect(answer.headers["set-cookie"]).toBeUndefined();
  });

  it("localhost names a loopback listener too", async () => {
    const answer = await request("GET", "/v1/apps", {
      host: `localhost:${fx.port}`,
      ...cookieOf(fx.token),
    });
    expect(answer.status).toBe(200);
  });

  it("a state-changing request with the cookie needs this listener's Origin: 403 without or foreign, 202 same", async () => {
    const none = await request("POST", "/v1/apps/db/stop", cookieOf(fx.token));
    expect(none.status).toBe(403);
    expect(none.json().error?.message).toBe(
      `a POST request needs the Origin http://127.0.0.1:${fx.port}`,
    );
    const foreign = await request("POST", "/v1/apps/db/stop", {
      ...cookieOf(fx.token),
      origin: "http://evil.example",
    });
    expect(foreign.status).toBe(403);
    expect(foreign.json().error?.message).toContain("not http://evil.example");
    expect((await fx.reconciler.appStatus("db")).desired).toBe("running"); // nothing happened
    const same = await request("POST", "/v1/apps/db/stop", { ...cookieOf(fx.token), ...origin() });
    expect(same.status).toBe(202);
    expect((same.json().app as { phase: string }).phase).toBe("stopping");
  });

  it("a bearer request may omit Origin (curl, scripts); a foreign one is still refused", async () => {
    const bearer = { authorization: `Bearer ${fx.token}` };
    expect((await request("POST", "/v1/reconcile", bearer)).status).toBe(202);
    expect(
      (await request("POST", "/v1/reconcile", { ...bearer, origin: "http://evil.example" })).status,
    ).toBe(403);
  });

  it("a rotated token takes effect at the next request: the old cookie and token get 401", async () => {
    expect((await request("GET", "/v1/apps", cookieOf(fx.token))).status).toBe(200);
    const fresh = await rotateToken(fx.root);
    expect(fresh).not.toBe(fx.token);
    expect((await request("GET", "/v1/apps", cookieOf(fx.token))).status).toBe(401);
    expect((await request("GET", `/?token=${fx.token}`)).status).toBe(401);
    expect((await request("GET", "/v1/apps", cookieOf(fresh))).status).toBe(200);
    expect((await request("GET", `/?token=${fresh}`)).status).toBe(303);
  });

  it("no token file: nobody comes in", async () => {
    await rm(tokenPath(fx.root));
    expect((await request("GET", `/?token=${fx.token}`)).status).toBe(401);
    expect((await request("GET", "/v1/apps", cookieOf(fx.token))).status).toBe(401);
  });
});

describe("the token file", () => {
  it("is 43 base64url characters, 0600, kept across calls, made 0600 again, replaced when invalid", async () => {
    const file = tokenPath(fx.root);
    expect(fx.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await chmod(file, 0o644);
    expect(await ensureToken(fx.root)).toBe(fx.token);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const rotated = await rotateToken(fx.root);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await ensureToken(fx.root)).toBe(rotated);
    await writeFile(file, "short\n");
    const replaced = await ensureToken(fx.root);
    expect(replaced).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await new TokenFile(file).current()).toBe(replaced);
  });
});
