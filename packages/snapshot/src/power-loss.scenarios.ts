// The snapshot store's write paths, for the power-loss check (power-loss.test.ts
// and bench/chaos-powerloss.ts): each save on a RecordingFs, loaded back in
// every state a power cut can leave.
import type { RecordingFs, WritePath } from "@archy/durable-fs/testing";
import { createSnapshotStore } from "./store.js";

interface Apps {
  apps: { id: string; running: boolean }[];
}

const PATH = "/state/snapshot.json";
const data = (n: number): Apps => ({
  apps: Array.from({ length: n }, (_, i) => ({ id: `app-${i}`, running: i % 2 === 0 })),
});
const store = (fs: RecordingFs, path = PATH) => createSnapshotStore<Apps>({ path, version: 1, fs });

/** What the next run gets: loadOrRecover's data; a torn main file (moved aside) is reported as such. */
async function loadAsNextRun(fs: RecordingFs): Promise<Apps | string | null> {
  const { loaded, quarantined } = await store(fs).loadOrRecover();
  return quarantined !== undefined ? "torn: moved aside" : (loaded?.data ?? null);
}

async function stateFolder(fs: RecordingFs): Promise<void> {
  await fs.mkdir("/state", 0o700);
}

export function snapshotWritePaths(): WritePath<unknown>[] {
  return [
    {
      name: "snapshot: first save",
      setup: stateFolder,
      write: (fs) => store(fs).save(data(2)),
      load: loadAsNextRun,
    },
    {
      name: "snapshot: save over a snapshot (the old one becomes .bak)",
      setup: async (fs) => {
        await stateFolder(fs);
        await store(fs).save(data(1));
        await store(fs).save(data(2));
      },
      write: (fs) => store(fs).save(data(3)),
      load: loadAsNextRun,
    },
    {
      name: "snapshot: the .bak rotated by a save",
      setup: async (fs) => {
        await stateFolder(fs);
        await store(fs).save(data(1));
        await store(fs).save(data(2));
      },
      write: (fs) => store(fs).save(data(3)),
      // The backup as loadOrRecover reads it when the main file is gone or torn.
      load: async (fs) => (await store(fs, `${PATH}.bak`).load())?.data ?? null,
    },
  ];
}
