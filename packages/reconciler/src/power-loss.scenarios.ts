// The reconciler's write paths, for the power-loss check (power-loss.test.ts
// and bench/chaos-powerloss.ts): desired.json and the installed manifests,
// each written on a RecordingFs and loaded back by the real loader in every
// state a power cut can leave. (snapshot.json is the snapshot store's, checked
// in @archy/snapshot; manifests.cache.json is a disposable cache.)
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { RecordingFs, WritePath } from "@archy/durable-fs/testing";
import { DesiredStateStore } from "./state/desired.js";
import { ManifestsFolder, removeManifestFile, writeManifestFile } from "./manifest/folder.js";
import { silentLogger } from "./types.js";

const STATE = "/var/lib/archy";
export const APPS = "/etc/archy/apps";

export const manifestText = (id: string, version = "1") =>
  `app:\n  id: ${id}\n  name: ${id}\n  version: "${version}"\n  container:\n    image: localhost/${id}:${version}\n`;

const desired = (fs: RecordingFs) => new DesiredStateStore(STATE, silentLogger, { fs });

/** The owner's intents and pending removals as the next run reads them; a torn file (moved aside) is reported as such. */
async function loadDesired(fs: RecordingFs): Promise<unknown> {
  const store = desired(fs);
  const apps = await store.load();
  if (store.quarantined !== undefined) return "torn: moved aside";
  return { apps, removing: await store.pendingRemovals() };
}

/** The apps as the next run loads them: the folder copied to disk and read by ManifestsFolder. */
export async function loadManifestsFolder(fs: RecordingFs): Promise<unknown> {
  const root = await mkdtemp(join(tmpdir(), "archy-power-loss-"));
  try {
    const real = join(root, "apps");
    const names = await fs.readdir(APPS).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    if (names !== null) {
      await mkdir(real);
      for (const name of names)
        await writeFile(join(real, name), await fs.readFile(join(APPS, name)));
    }
    const { apps, errors } = await new ManifestsFolder(real, undefined, silentLogger).reload();
    return {
      apps: apps.map((a) => ({ id: a.id, source: a.source })),
      errors: errors.map((e) => `${basename(e.file)}: ${e.message}`),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function installed(fs: RecordingFs, ...ids: string[]): Promise<void> {
  for (const id of ids)
    await writeManifestFile(fs, APPS, join(APPS, `${id}.yaml`), manifestText(id));
}

export function reconcilerWritePaths(): WritePath<unknown>[] {
  return [
    {
      name: "desired.json: the first intent (the state folder created)",
      setup: (fs) => fs.mkdir("/var/lib", 0o755).then(() => undefined),
      write: (fs) => desired(fs).set("web", "stopped"),
      load: loadDesired,
    },
    {
      name: "desired.json: an intent changed (the old file becomes .bak)",
      setup: (fs) => desired(fs).setMany({ web: "stopped", db: "stopped" }),
      write: (fs) => desired(fs).set("web", "running"),
      load: loadDesired,
    },
    {
      name: "desired.json: a removal persisted before it is acknowledged",
      setup: (fs) => desired(fs).set("web", "stopped"),
      write: (fs) => desired(fs).beginRemoval("web", { purge: true }),
      load: loadDesired,
    },
    {
      name: "manifests: the first install (the manifests folder created)",
      setup: (fs) => fs.mkdir("/etc/archy", 0o755).then(() => undefined),
      write: (fs) => installed(fs, "web"),
      load: loadManifestsFolder,
    },
    {
      name: "manifests: install beside another app",
      setup: (fs) => installed(fs, "web"),
      write: (fs) => installed(fs, "db"),
      load: loadManifestsFolder,
    },
    {
      name: "manifests: a manifest replaced",
      setup: (fs) => installed(fs, "web"),
      write: (fs) => writeManifestFile(fs, APPS, join(APPS, "web.yaml"), manifestText("web", "2")),
      load: loadManifestsFolder,
    },
    {
      name: "manifests: an app removed",
      setup: (fs) => installed(fs, "web", "db"),
      write: (fs) => removeManifestFile(fs, join(APPS, "db.yaml")),
      load: loadManifestsFolder,
    },
  ];
}
