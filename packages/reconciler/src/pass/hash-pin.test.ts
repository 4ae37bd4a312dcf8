// The config hash, pinned. Every container archy created carries the hash of
// its app's config in the `io.archy.config-hash` label; a pass recreates a
// container whose label differs from the hash this release computes. So if a
// refactor of the spec normalisation (toContainerSpec, canonicalJson,
// configHash, wantedHash) changes the hash of an unchanged manifest, the
// first pass after an upgrade recreates every container of every owner.
//
// The values below are LITERAL on purpose. A change to one of them is a
// deliberate migration, not a test to update: say so in the changelog of
// @archy/reconciler and in the "Config hash" section of its README (what the
// new hash covers, and that every container is recreated once on upgrade).
// They are the hashes the release at commit 9cfde6a computed for the same
// manifests, files and image id (checked when this test was written).
import type * as fsp from "node:fs/promises";
import { describe, expect, it, vi } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseManifest, type AppManifest } from "../manifest/index.js";
import { keysAt, manifestSchema } from "../manifest/schema.js";
import { wantedHash } from "./observe.js";

// The path of a config file is part of the hash, so the pinned files must
// live at a fixed path. A fixed path on the real disk would be shared by
// every checkout and every parallel run on the machine; these few are served
// from memory instead, and every other path still reads the real disk.
// (Hoisted like the mock itself, which runs before this module's body.)
const FIXED_FILES = vi.hoisted((): Record<string, string> => ({
  "/etc/archy/apps/conf/web.conf": "listen 8080\nroot /srv/www\n",
  "/etc/archy/shared/tls.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
}));
vi.mock("node:fs/promises", async (importOriginal) => {
  const fs = await importOriginal<typeof fsp>();
  const readFile = (async (path: unknown, ...rest: unknown[]) =>
    typeof path === "string" && Object.hasOwn(FIXED_FILES, path)
      ? Buffer.from(FIXED_FILES[path]!)
      : (fs.readFile as (...a: unknown[]) => Promise<unknown>)(
          path,
          ...rest,
        )) as typeof fs.readFile;
  return { ...fs, readFile, default: { ...fs, readFile } };
});

/** A fixed image id: the hash covers it, and a real one would differ per build. */
const IMAGE_ID = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

function parse(text: string): AppManifest {
  const result = parseManifest(text, "/etc/archy/apps/web.yaml");
  expect(result.errors).toEqual([]);
  return result.app!;
}

const MINIMAL = `app:
  id: web
  name: Web
  version: "1"
  container:
    image: localhost/web:1
`;

// Every key the container section allows (the test below checks it against
// the schema), so a change to the normalisation of any of them shows here.
const EVERY_FIELD = `app:
  id: web
  name: Web
  version: 2.1.0
  depends_on: [db]
  container:
    image: localhost/web:2
    build: { context: ./web, containerfile: Containerfile.prod }
    pull: never
    command: [httpd, -f, -p, "8080"]
    entrypoint: [/bin/sh, -c]
    env: { MODE: prod, WORKERS: 4, DEBUG: false, DB_PASSWORD: hunter2 }
    ports: ["18080:8080", "127.0.0.1:18443:8443/tcp", "5353:53/udp"]
    volumes: ["web-data:/data", "./static:/srv/www:ro", "/var/log/web:/logs:rw"]
    network: archy-net
    network_aliases: [web, www]
    user: "1000:1000"
    cap_add: [NET_BIND_SERVICE]
    cap_drop: [ALL]
    read_only: true
    stop_timeout: 15s
    stop_signal: SIGQUIT
    healthcheck:
      cmd: [wget, -q, -O-, "http://127.0.0.1:8080/"]
      interval: 10s
      timeout: 3s
      retries: 5
      start_period: 30s
    resources: { memory: 512m, memory_reservation: 256m, cpus: 1.5, pids: 200 }
  restart: { policy: on-failure, backoff: { initial: 2s, max: 1m, reset: 5m } }
  hooks: { pre_start: [[/bin/true]] }
`;

// Two files served with fixed contents, one that does not exist (it counts as
// absent, a state of its own), relative and absolute paths.
const CONFIG_FILES = `app:
  id: web
  name: Web
  version: "1"
  container:
    image: localhost/web:1
  config_files: [./conf/web.conf, /etc/archy/shared/tls.pem, /etc/archy/shared/absent.conf]
`;

describe("the config hash of fixed manifests (a change recreates every container)", () => {
  it("a minimal manifest", async () => {
    expect(await wantedHash(parse(MINIMAL), IMAGE_ID)).toBe(
      "3d4e26b69c6356bcd93175a8a189a29ee0c174d57e1ed4f0a18ad7f220dc81af",
    );
  });

  it("a manifest using every container field the release at 9cfde6a had (no resources)", async () => {
    const before = EVERY_FIELD.replace(/^ {4}resources: .*\n/m, "");
    expect(before).not.toBe(EVERY_FIELD);
    expect(await wantedHash(parse(before), IMAGE_ID)).toBe(
      "931c113b8eedebf1b630be2dd2af86ee7bb678096206a4efb318b442c81f8bf6",
    );
  });

  it("a manifest using every container field, resources too (pinned when resources came)", async () => {
    expect(await wantedHash(parse(EVERY_FIELD), IMAGE_ID)).toBe(
      "fed6a0ffae4f8b19f290ef8aa2a8a7e26dfcfebd7c08b544e7b6eaef180e03a0",
    );
  });

  it("a manifest with config_files of fixed contents", async () => {
    expect(await wantedHash(parse(CONFIG_FILES), IMAGE_ID)).toBe(
      "353171e1c25f3fa36fc2beeee1a9d820c0cc36850fe249b2e0991b215654c3bc",
    );
  });

  it("the every-field manifest still uses every container field the schema has", () => {
    // A new field must join EVERY_FIELD (and leaving it out must keep the hashes above).
    const raw = parseYaml(EVERY_FIELD) as { app: { container: Record<string, unknown> } };
    expect(Object.keys(raw.app.container).sort()).toEqual(
      keysAt(manifestSchema, ["app", "container"]).sort(),
    );
  });
});
