// The free space of the filesystems archy writes to: its state folder and
// podman's storage. Under the threshold (the smaller of 5 % of the
// filesystem and 1 GiB: a large disk is not "low" at 50 GiB free) the
// daemon says so (notices: `archy status`, `doctor`, the status page; a
// notification) and refuses pulls until there is room again. Checked every
// minute: two statfs calls, no process.
import { statfs } from "node:fs/promises";
import type { Clock } from "@archy/runtime-podman";

export interface DiskSpace {
  what: string;
  path: string;
  freeBytes: number;
  totalBytes: number;
  thresholdBytes: number;
}

export const lowThreshold = (totalBytes: number) => Math.min(totalBytes * 0.05, 1024 ** 3);

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** How a low filesystem reads. */
export const describeLow = (d: DiskSpace) =>
  `the ${d.what} (${d.path}) has ${gib(d.freeBytes)} free of ${gib(d.totalBytes)}, under ${gib(d.thresholdBytes)}`;

export type StatFs = (path: string) => Promise<{ bavail: number; blocks: number; bsize: number }>;

export class DiskWatch {
  private timer: unknown = null;
  private low: DiskSpace[] = [];
  private last: DiskSpace[] = [];
  private stopped = false;

  constructor(
    private readonly opts: {
      paths: { what: string; path: string }[];
      clock: Clock;
      /** Told each time the list of low filesystems changes. */
      onChange: (low: DiskSpace[]) => void;
      statfs?: StatFs;
      intervalMs?: number;
    },
  ) {}

  /** The free space as last measured. */
  spaces(): DiskSpace[] {
    return this.last;
  }

  /** Measures now; tells a change. A path that cannot be measured is left out (logged by the caller's notices). */
  async check(): Promise<DiskSpace[]> {
    const read = this.opts.statfs ?? (statfs as StatFs);
    const spaces: DiskSpace[] = [];
    for (const { what, path } of this.opts.paths) {
      const s = await read(path).catch(() => null);
      if (!s) continue;
      const totalBytes = s.blocks * s.bsize;
      spaces.push({
        what,
        path,
        freeBytes: s.bavail * s.bsize,
        totalBytes,
        thresholdBytes: lowThreshold(totalBytes),
      });
    }
    this.last = spaces;
    const low = spaces.filter((d) => d.freeBytes < d.thresholdBytes);
    const key = (l: DiskSpace[]) => l.map((d) => d.path).join("\n");
    if (key(low) !== key(this.low)) {
      this.low = low;
      this.opts.onChange(low);
    }
    return low;
  }

  /** Checks now and every interval (a minute) until `stop`. */
  start(): void {
    const tick = async () => {
      await this.check();
      if (!this.stopped)
        this.timer = this.opts.clock.setTimeout(() => void tick(), this.opts.intervalMs ?? 60_000);
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.opts.clock.clearTimeout(this.timer);
  }
}
