// The real-world compose fixtures (test/fixtures/compose, README there)
// imported as `archy import compose` would, with the variables and files
// their guides tell the owner to provide, as archy apps.
import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseManifest, type AppManifest } from "@archy/reconciler";
import { importCompose } from "../src/compose/import.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/compose/", import.meta.url));

interface Fixture {
  file: string;
  env?: Record<string, string>;
  /** Files the project's guide has the owner create; imported from a copy of the folder. */
  extra?: Record<string, string>;
}

export const COMPOSE_FIXTURES: Record<string, Fixture> = {
  "uptime-kuma": { file: "docker-compose.yml" },
  immich: {
    file: "docker-compose.yml",
    env: { UPLOAD_LOCATION: "./library", DB_DATA_LOCATION: "./postgres" },
  },
  "paperless-ngx": { file: "docker-compose.yml" },
  nextcloud: { file: "compose.yaml" },
  authentik: {
    file: "docker-compose.yml",
    extra: { ".env": "PG_PASS=pg-secret\nAUTHENTIK_SECRET_KEY=ak-secret\n" },
  },
  mastodon: {
    file: "docker-compose.yml",
    extra: { ".env.production": "LOCAL_DOMAIN=example.com\n" },
  },
};

/** The apps of one compose fixture, as parsed manifests of a folder `/etc/archy/apps`. */
export async function composeApps(name: string): Promise<AppManifest[]> {
  const f = COMPOSE_FIXTURES[name]!;
  let dir = join(FIXTURES, name);
  if (f.extra) {
    const copy = join(await mkdtemp(join(tmpdir(), "archy-compose-")), name);
    await cp(dir, copy, { recursive: true });
    for (const [file, text] of Object.entries(f.extra)) await writeFile(join(copy, file), text);
    dir = copy;
  }
  const r = await importCompose({
    file: join(dir, f.file),
    env: { HOME: "/home/owner", ...f.env },
  });
  return r.manifests.map((m) => {
    const parsed = parseManifest(m.text, join("/etc/archy/apps", m.fileName));
    if (!parsed.app) throw new Error(`${name}/${m.fileName}: ${JSON.stringify(parsed.errors)}`);
    return parsed.app;
  });
}
