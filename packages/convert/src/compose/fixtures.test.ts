import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { checkAcrossFiles, parseManifest } from "@archy/reconciler";
import { ConvertError } from "../errors.js";
import { importCompose, type ComposeImportResult } from "./import.js";

// Real compose files of well-known self-hosted projects, unmodified
// (test/fixtures/compose/README.md names their sources and licences).
const FIXTURES = fileURLToPath(new URL("../../test/fixtures/compose/", import.meta.url));

type App = {
  id: string;
  name: string;
  version: string;
  depends_on?: string[];
  container: Record<string, unknown> & { env?: Record<string, string> };
  restart: { policy: string };
  hooks?: { pre_start: string[][] };
};

/** A copy of a fixture folder with extra files (what its docs tell the owner to create). */
async function copyOf(name: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), "archy-fixture-")), name);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  for (const [file, text] of Object.entries(extra)) await writeFile(join(dir, file), text);
  return dir;
}

async function run(file: string, env: Record<string, string> = {}) {
  const r = await importCompose({ file, env: { HOME: "/home/owner", ...env } });
  const parsed = r.manifests.map((m) => parseManifest(m.text, join("/etc/archy/apps", m.fileName)));
  parsed.forEach((p, i) => {
    expect(p.errors, r.manifests[i]!.text).toEqual([]);
    expect(p.app?.id).toBe(r.manifests[i]!.id);
  });
  // What `archy plan` checks across the folder: unique ids, known dependencies, no cycles.
  const folder = checkAcrossFiles(parsed);
  expect(folder.errors).toEqual([]);
  expect(folder.apps).toHaveLength(r.manifests.length);
  const apps = Object.fromEntries(
    r.manifests.map((m) => [m.service, (parse(m.text) as { app: App }).app]),
  );
  return { r, apps };
}
const keys = (r: ComposeImportResult) => r.warnings.map((w) => `${w.line}:${w.column} ${w.path}`);

describe("real-world compose files", () => {
  it("uptime-kuma: a bind mount made absolute, compose's default restart (no)", async () => {
    const file = join(FIXTURES, "uptime-kuma/docker-compose.yml");
    const { r, apps } = await run(file);
    expect(r.project).toBe("uptime-kuma");
    expect(apps["uptime-kuma"]).toMatchObject({
      id: "uptime-kuma-uptime-kuma",
      version: "1",
      restart: { policy: "no" },
      container: {
        image: "louislam/uptime-kuma:1",
        ports: ["3001:3001"],
        volumes: [`${join(FIXTURES, "uptime-kuma/data")}:/app/data`],
        network: "uptime-kuma_default",
      },
    });
    expect(apps["uptime-kuma"]!.hooks?.pre_start[0]?.slice(3)).toEqual([
      "archy-bind-folders",
      join(FIXTURES, "uptime-kuma/data"),
    ]);
    expect(keys(r)).toEqual(["9:5 services.uptime-kuma.container_name"]);
  });

  it("immich: name:, .env interpolation under the environment, env_file, ${VAR-default} port", async () => {
    const file = join(FIXTURES, "immich/docker-compose.yml");
    // As its .env ships, UPLOAD_LOCATION names a volume the file does not declare: compose refuses it too.
    const shipped = await importCompose({ file, env: {} }).catch((e: unknown) => e);
    expect(ConvertError.isInstance(shipped) && shipped.code).toBe("ECOMPOSE");
    const { r, apps } = await run(file, {
      UPLOAD_LOCATION: "./library",
      DB_DATA_LOCATION: "./postgres",
    });
    expect(r.project).toBe("immich");
    expect(r.manifests.map((m) => m.id)).toEqual([
      "immich-immich-server",
      "immich-immich-machine-learning",
      "immich-redis",
      "immich-database",
    ]);
    expect(apps["immich-server"]).toMatchObject({
      version: "release",
      depends_on: ["immich-redis", "immich-database"],
      restart: { policy: "always" },
      container: {
        image: "ghcr.io/immich-app/immich-server:release",
        ports: ["2283:2283"],
        volumes: [`${join(FIXTURES, "immich/library")}:/data`, "/etc/localtime:/etc/localtime:ro"],
        network: "immich_default",
      },
    });
    expect(apps["immich-server"]!.container.env).toMatchObject({
      DB_PASSWORD: "postgres",
      REDIS_HOSTNAME: "immich_redis",
    });
    expect(apps["immich-machine-learning"]!.container.volumes).toEqual([
      "immich_model-cache:/cache",
    ]);
    expect(apps.redis!.container.healthcheck).toEqual({
      cmd: ["/bin/sh", "-c", "redis-cli ping || exit 1"],
      timeout: "30s",
    });
    expect(apps.database!.container.env).toEqual({
      POSTGRES_PASSWORD: "postgres",
      POSTGRES_USER: "postgres",
      POSTGRES_DB: "immich",
      POSTGRES_INITDB_ARGS: "--data-checksums",
    });
    expect(keys(r)).toEqual([
      "14:5 services.immich-server.container_name",
      "27:5 services.immich-server.depends_on",
      "31:5 services.immich-server.healthcheck",
      "35:5 services.immich-machine-learning.container_name",
      "47:5 services.immich-machine-learning.healthcheck",
      "51:5 services.redis.container_name",
      "58:5 services.database.container_name",
      "70:5 services.database.shm_size",
    ]);
  });

  it("paperless-ngx: COMPOSE_PROJECT_NAME from .env, named volumes, env_file under environment", async () => {
    const { r, apps } = await run(join(FIXTURES, "paperless-ngx/docker-compose.yml"));
    expect(r.project).toBe("paperless");
    expect(apps.webserver).toMatchObject({
      id: "paperless-webserver",
      depends_on: ["paperless-db", "paperless-broker", "paperless-gotenberg", "paperless-tika"],
      restart: { policy: "always" },
      container: {
        ports: ["8000:8000"],
        volumes: [
          "paperless_data:/usr/src/paperless/data",
          "paperless_media:/usr/src/paperless/media",
          `${join(FIXTURES, "paperless-ngx/export")}:/usr/src/paperless/export`,
          `${join(FIXTURES, "paperless-ngx/consume")}:/usr/src/paperless/consume`,
        ],
        env: {
          PAPERLESS_REDIS: "redis://broker:6379",
          PAPERLESS_DBHOST: "db",
          PAPERLESS_TIKA_ENABLED: "1",
          PAPERLESS_TIKA_GOTENBERG_ENDPOINT: "http://gotenberg:3000",
          PAPERLESS_TIKA_ENDPOINT: "http://tika:9998",
        },
      },
    });
    expect(apps.gotenberg!.container.command).toEqual([
      "gotenberg",
      "--chromium-disable-javascript=true",
      "--chromium-allow-list=file:///tmp/.*",
    ]);
    expect(apps.db!.container.volumes).toEqual(["paperless_pgdata:/var/lib/postgresql/data"]);
    expect(keys(r)).toEqual(["50:5 services.webserver.depends_on"]);
  });

  it("nextcloud: list environment, env_file, SELinux volume options, string entrypoint", async () => {
    const { r, apps } = await run(join(FIXTURES, "nextcloud/compose.yaml"));
    expect(r.project).toBe("nextcloud");
    expect(apps.app).toMatchObject({
      id: "nextcloud-app",
      version: "apache",
      depends_on: ["nextcloud-db", "nextcloud-redis"],
      container: {
        ports: ["127.0.0.1:8080:80"],
        volumes: ["nextcloud_nextcloud:/var/www/html"],
        env: {
          POSTGRES_PASSWORD: "",
          POSTGRES_DB: "nextcloud",
          POSTGRES_USER: "nextcloud",
          POSTGRES_HOST: "db",
          REDIS_HOST: "redis",
        },
      },
    });
    expect(apps.cron!.container.entrypoint).toEqual(["/cron.sh"]);
    expect(apps.db!.container.volumes).toEqual(["nextcloud_db:/var/lib/postgresql/data"]);
    expect(keys(r)).toEqual([
      "8:9 services.db.volumes[0]",
      "24:9 services.app.volumes[0]",
      "31:5 services.app.depends_on",
      "39:9 services.cron.volumes[0]",
      "42:5 services.cron.depends_on",
    ]);
  });

  it("authentik: ${VAR:?err} required, $$ kept for the shell, service_healthy, CMD-SHELL checks", async () => {
    const bare = await copyOf("authentik", { ".env": "" });
    const missing = await importCompose({ file: join(bare, "docker-compose.yml"), env: {} }).catch(
      (e: unknown) => e,
    );
    expect(ConvertError.isInstance(missing) && missing.code).toBe("EINTERPOLATE");
    expect(
      (missing as ConvertError).locations.map((l) => `${l.line}:${l.column} ${l.message}`),
    ).toEqual([
      "16:26 required variable PG_PASS is not set: database password required",
      "38:29 required variable AUTHENTIK_SECRET_KEY is not set: secret key required",
      "66:29 required variable AUTHENTIK_SECRET_KEY is not set: secret key required",
    ]);

    const dir = await copyOf("authentik", {
      ".env": "PG_PASS=pg-secret\nAUTHENTIK_SECRET_KEY=ak-secret\n",
    });
    const { r, apps } = await run(join(dir, "docker-compose.yml"));
    expect(r.project).toBe("authentik");
    expect(apps.postgresql!.container.healthcheck).toEqual({
      cmd: ["/bin/sh", "-c", "pg_isready -d ${POSTGRES_DB} -U ${POSTGRES_USER}"],
      interval: "30s",
      timeout: "5s",
      retries: 5,
      start_period: "20s",
    });
    expect(apps.postgresql!.container.env).toMatchObject({
      POSTGRES_PASSWORD: "pg-secret",
      POSTGRES_USER: "authentik",
    });
    expect(apps.server).toMatchObject({
      version: "2025.2.4",
      depends_on: ["authentik-postgresql", "authentik-redis"],
      restart: { policy: "always" },
      container: {
        image: "ghcr.io/goauthentik/server:2025.2.4",
        command: ["server"],
        ports: ["9000:9000", "9443:9443"],
      },
    });
    expect(apps.redis!.container.command).toEqual(["--save", "60", "1", "--loglevel", "warning"]);
    expect(apps.worker!.container).toMatchObject({
      user: "root",
      volumes: expect.arrayContaining([
        "/var/run/docker.sock:/var/run/docker.sock",
        `${dir}/certs:/certs`,
      ]),
    });
    expect(keys(r)).toEqual(["61:5 services.worker.ulimits"]);
  });

  it("mastodon: two networks (the first is kept), CMD and CMD-SHELL checks, env_file", async () => {
    const dir = await copyOf("mastodon", { ".env.production": "LOCAL_DOMAIN=example.com\n" });
    const { r, apps } = await run(join(dir, "docker-compose.yml"));
    expect(r.project).toBe("mastodon");
    expect(apps.db!.container).toMatchObject({
      network: "mastodon_internal_network",
      healthcheck: { cmd: ["pg_isready", "-U", "postgres"], timeout: "30s" },
    });
    expect(apps.web).toMatchObject({
      version: "v4.3.17",
      depends_on: ["mastodon-db", "mastodon-redis"],
      container: {
        command: ["bundle", "exec", "puma", "-C", "config/puma.rb"],
        ports: ["127.0.0.1:3000:3000"],
        network: "mastodon_external_network",
        env: { LOCAL_DOMAIN: "example.com" },
      },
    });
    expect(apps.sidekiq!.container.healthcheck).toEqual({
      cmd: ["/bin/sh", "-c", "ps aux | grep '[s]idekiq 6' || false"],
      timeout: "30s",
    });
    expect(keys(r)).toEqual([
      "8:5 services.db.shm_size",
      "66:5 services.web.networks",
      "74:5 services.web.depends_on",
      "90:5 services.streaming.networks",
      "98:5 services.streaming.depends_on",
      "109:5 services.sidekiq.depends_on",
      "112:5 services.sidekiq.networks",
      "140:5 networks.internal_network.internal",
    ]);
  });
});
