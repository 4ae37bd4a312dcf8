import type { Clock, ContainerStatus } from "@archy/runtime-podman";
import type { AppManifest } from "../manifest/index.js";
import type { AppHistory } from "../types.js";

/** How much longer than the app's stop timeout podman may stay stopping or removing it. */
export const STUCK_GRACE_MS = 5_000;

/** Identifies one exit of one container: each run (start) ends at most once. */
const exitKey = (c: ContainerStatus) => `${c.id}:${c.startedAt ?? ""}`;

/**
 * The keys an exit seen through `podman inspect` (start time in nanoseconds)
 * also has when `podman ps` (whole seconds) shows it: both count once.
 */
const exitKeys = (c: ContainerStatus) => {
  const s = c.startedAt === null ? NaN : Date.parse(c.startedAt);
  const second = Number.isNaN(s) ? null : new Date(Math.floor(s / 1000) * 1000).toISOString();
  return [exitKey(c), ...(second === null ? [] : [`${c.id}:${second}`])].join("\n");
};

interface Mark {
  /** The key(s) of the last exit counted as a failure. */
  countedExit: string | null;
  podmanBusy: AppHistory["podmanBusy"];
}

/**
 * What observations leave behind per app (not persisted): which exit was
 * already counted as a failure, so each counts once, and since when podman
 * has shown a container stopping or removing, so the planner can call it stuck.
 */
export class ExitMarks {
  private readonly marks = new Map<string, Mark>();

  constructor(private readonly clock: Clock) {}

  /** Records an exit as counted; true when it was not counted before. */
  countOnce(id: string, c: ContainerStatus): boolean {
    const m = this.mark(id);
    if ((m.countedExit ?? "").split("\n").includes(exitKey(c))) return false;
    m.countedExit = exitKeys(c);
    return true;
  }

  /** The exit was seen by a failed start: observations must not count it again. */
  seen(id: string, c: ContainerStatus): void {
    this.mark(id).countedExit = exitKeys(c);
  }

  /** Notes podman's stopping/removing mark on the app's container (or its absence). */
  busy(app: AppManifest, c: ContainerStatus | null): void {
    const m = this.mark(app.id);
    if (c?.state !== "stopping" && c?.state !== "removing") {
      m.podmanBusy = null;
      return;
    }
    if (m.podmanBusy?.container === c.id && m.podmanBusy.state === c.state) return;
    const since = this.clock.now();
    const stuckAt = since + app.container.stopTimeoutMs + STUCK_GRACE_MS;
    m.podmanBusy = { container: c.id, state: c.state, since, stuckAt };
  }

  get(id: string): Mark {
    return this.mark(id);
  }

  /** The earliest future time a container podman marked busy counts as stuck; null when none. */
  nextStuckAt(): number | null {
    const now = this.clock.now();
    let min: number | null = null;
    for (const m of this.marks.values()) {
      const stuckAt = m.podmanBusy?.stuckAt;
      if (stuckAt !== undefined && stuckAt > now && (min === null || stuckAt < min)) min = stuckAt;
    }
    return min;
  }

  private mark(id: string): Mark {
    let m = this.marks.get(id);
    if (!m) {
      m = { countedExit: null, podmanBusy: null };
      this.marks.set(id, m);
    }
    return m;
  }
}
