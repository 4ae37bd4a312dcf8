// The crash marker's write paths, for the power-loss check (power-loss.test.ts
// and bench/chaos-powerloss.ts): each one on a RecordingFs, the marker read
// back in every state a power cut can leave.
import type { RecordingFs, WritePath } from "@archy/durable-fs/testing";
import { acquireMarker, type Marker } from "./marker.js";

const DIR = "/var/lib/archy";
const PATH = `${DIR}/archy.pid`;

/** A marker left by a run that crashed before the last boot (a PID no process can have). */
const STALE = `${JSON.stringify({ pid: 4194304, startTime: "1", startedAt: "2026-01-01T00:00:00.000Z", bootId: "a-boot-before-this-one", token: "stale" })}\n`;

/** The marker as the next acquireMarker reads it; null when there is none. */
async function readMarker(fs: RecordingFs): Promise<string | null> {
  try {
    return await fs.readFile(PATH);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

async function staleMarker(fs: RecordingFs): Promise<void> {
  await fs.mkdir(DIR, 0o700);
  const file = await fs.create(PATH, 0o644);
  await file.write(STALE);
  await file.close();
}

export function markerWritePaths(): WritePath<unknown>[] {
  let held: Marker | undefined;
  let heldOverStale: Marker | undefined;
  return [
    {
      name: "marker: acquire, the state folder created",
      setup: (fs) => fs.mkdir("/var/lib", 0o755).then(() => undefined),
      write: (fs) => acquireMarker(DIR, { fs }).then(() => undefined),
      load: readMarker,
    },
    {
      name: "marker: acquire over a crashed run's marker",
      setup: staleMarker,
      write: (fs) => acquireMarker(DIR, { fs }).then(() => undefined),
      load: readMarker,
    },
    {
      name: "marker: release",
      setup: async (fs) => {
        held = await acquireMarker(DIR, { fs });
      },
      write: () => held!.release(),
      load: readMarker,
    },
    {
      name: "marker: release that puts the crashed run's marker back",
      setup: async (fs) => {
        await staleMarker(fs);
        heldOverStale = await acquireMarker(DIR, { fs });
      },
      write: () => heldOverStale!.release({ restorePrevious: true }),
      load: readMarker,
    },
  ];
}
