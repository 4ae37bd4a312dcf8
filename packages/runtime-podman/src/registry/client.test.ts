// The token flow of registries such as Docker Hub and ghcr.io (the test
// registry, docker-registry, speaks basic auth: see the CLI's
// update-check.int.test.ts): a registry and its token service over real HTTP
// on loopback, with podman's auth file and registries.conf.
import { createServer, type Server } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RegistryError } from "../errors.js";
import { remoteDigest } from "./client.js";

const DIGEST = "sha256:" + "d".repeat(64);

describe("remoteDigest: a registry with a token service", () => {
  let server: Server;
  let host: string;
  let dir: string;
  const seen: string[] = [];

  beforeEach(async () => {
    seen.length = 0;
    dir = await mkdtemp(join(tmpdir(), "archy-token-"));
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? "-"}`);
      if (req.url!.startsWith("/token")) {
        const ok =
          req.headers.authorization === `Basic ${Buffer.from("bob:pw").toString("base64")}`;
        res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
        return res.end(ok ? JSON.stringify({ token: "T0K" }) : "{}");
      }
      if (req.headers.authorization !== "Bearer T0K") {
        res.writeHead(401, {
          "www-authenticate": `Bearer realm="http://${host}/token",service="reg",scope="repository:o/app:pull"`,
        });
        return res.end();
      }
      if (req.url === "/v2/o/app/manifests/1") {
        res.writeHead(200, { "docker-content-digest": DIGEST });
        return res.end();
      }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    await writeFile(
      join(dir, "registries.conf"),
      `[[registry]]\nlocation = "${host}"\ninsecure = true\n`,
    );
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const env = () => ({
    CONTAINERS_REGISTRIES_CONF: join(dir, "registries.conf"),
    REGISTRY_AUTH_FILE: join(dir, "auth.json"),
    HOME: dir,
  });
  const login = (user: string, password: string) =>
    writeFile(
      join(dir, "auth.json"),
      JSON.stringify({
        auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString("base64") } },
      }),
    );

  it("a HEAD, the challenge, a token for the scope with the stored credentials, the HEAD again", async () => {
    await login("bob", "pw");
    expect(await remoteDigest(`${host}/o/app:1`, { env: env() })).toBe(DIGEST);
    // Insecure: HTTPS is tried first and fails on this plain server, then HTTP.
    expect(seen).toEqual([
      "HEAD /v2/o/app/manifests/1 -",
      "GET /token?service=reg&scope=repository%3Ao%2Fapp%3Apull Basic Ym9iOnB3",
      "HEAD /v2/o/app/manifests/1 Bearer T0K",
    ]);
  });

  it("a token service that refuses the credentials: unauthorized, naming the user", async () => {
    await login("bob", "wrong");
    const error = await remoteDigest(`${host}/o/app:1`, { env: env() }).catch((e: unknown) => e);
    expect(RegistryError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      problem: "unauthorized",
      message: expect.stringContaining("credentials of bob"),
    });
  });
});
