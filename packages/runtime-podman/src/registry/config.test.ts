import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { credentialsFor, readRegistriesConf, registryEntry } from "./config.js";
import { parseReference } from "./reference.js";

describe("image references, as podman reads them", () => {
  it("registry, repository, tag and digest; docker.io's one-word names under library/", () => {
    expect(parseReference("127.0.0.1:5000/shop/web:1")).toMatchObject({
      registry: "127.0.0.1:5000",
      repository: "shop/web",
      tag: "1",
      digest: null,
    });
    expect(parseReference("nginx")).toMatchObject({
      registry: "docker.io",
      repository: "library/nginx",
      tag: "latest",
    });
    expect(parseReference("ghcr.io/o/a@sha256:ab")).toMatchObject({
      tag: null,
      digest: "sha256:ab",
    });
    expect(parseReference("localhost/web:2")).toMatchObject({
      registry: "localhost",
      repository: "web",
    });
    expect(parseReference("team/app:3", "quay.io")).toMatchObject({
      registry: "quay.io",
      repository: "team/app",
    });
  });
});

describe("podman's registry configuration", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "archy-regconf-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("registries.conf: the longest matching prefix decides insecure and blocked; unqualified search", async () => {
    const file = join(dir, "registries.conf");
    await writeFile(
      file,
      `unqualified-search-registries = ["quay.io", "docker.io"]
[[registry]]
location = "reg.lan:5000"
insecure = true
[[registry]]
prefix = "reg.lan:5000/quarantine"
location = "reg.lan:5000/quarantine"
blocked = true
`,
    );
    const conf = await readRegistriesConf({ CONTAINERS_REGISTRIES_CONF: file });
    expect(conf.unqualifiedSearch).toEqual(["quay.io", "docker.io"]);
    expect(registryEntry(conf, "reg.lan:5000", "shop/web")).toMatchObject({
      insecure: true,
      blocked: false,
    });
    expect(registryEntry(conf, "reg.lan:5000", "quarantine/x")).toMatchObject({ blocked: true });
    expect(registryEntry(conf, "ghcr.io", "o/a")).toBeNull();
  });

  it("registries.conf that is not TOML is an error naming the file; a missing one is empty", async () => {
    const file = join(dir, "registries.conf");
    await writeFile(file, "[[registry]\nlocation = ");
    await expect(readRegistriesConf({ CONTAINERS_REGISTRIES_CONF: file })).rejects.toThrow(
      `${file}: not TOML`,
    );
    const none = await readRegistriesConf({ CONTAINERS_REGISTRIES_CONF: join(dir, "nope") });
    expect(none.registries).toEqual([]);
  });

  it("auth file: the most specific key wins; REGISTRY_AUTH_FILE alone when set; a credential helper is named, not run", async () => {
    const file = join(dir, "auth.json");
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    await writeFile(
      file,
      JSON.stringify({
        auths: {
          "reg.lan:5000": { auth: b64("all:pw") },
          "reg.lan:5000/shop": { auth: b64("shop:p:w") },
        },
        credHelpers: { "ghcr.io": "pass" },
      }),
    );
    const env = { REGISTRY_AUTH_FILE: file, HOME: dir };
    expect(await credentialsFor("reg.lan:5000", "shop/web", env)).toEqual({
      user: "shop",
      password: "p:w",
      file,
    });
    expect(await credentialsFor("reg.lan:5000", "other/web", env)).toMatchObject({ user: "all" });
    expect(await credentialsFor("quay.io", "x/y", env)).toBeNull();
    await expect(credentialsFor("ghcr.io", "o/a", env)).rejects.toThrow(/docker-credential-pass/);
  });

  it("without REGISTRY_AUTH_FILE: the runtime folder's auth.json, then ~/.config/containers, then ~/.docker", async () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    await mkdir(join(dir, ".docker"), { recursive: true });
    await writeFile(
      join(dir, ".docker/config.json"),
      JSON.stringify({ auths: { "https://reg.lan": { auth: b64("docker:pw") } } }),
    );
    const env = { HOME: dir, XDG_RUNTIME_DIR: join(dir, "run") };
    expect(await credentialsFor("reg.lan", "a/b", env)).toMatchObject({ user: "docker" });
    await mkdir(join(dir, "run/containers"), { recursive: true });
    await writeFile(
      join(dir, "run/containers/auth.json"),
      JSON.stringify({ auths: { "reg.lan": { auth: b64("podman:pw") } } }),
    );
    expect(await credentialsFor("reg.lan", "a/b", env)).toMatchObject({ user: "podman" });
  });
});
