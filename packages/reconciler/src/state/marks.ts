import type { Clock, ContainerStatus } from "@archy/runtime-podman";
import type { AppManifest } from "../manifest/index.js";
import type { AppHistory } from "../types.js";

/** How much longer than the app's stop timeout podman may stay stopping or removing it. */
export const STUCK_GRACE_MS = 5_000;

/** Identifies one exit of one container: each run (start) ends at most once. */
const exitKey = (c: ContainerStatus) => `${c.id}:${c.startedAt ?? ""}`;

/** The same, with the start rounded down to its second (what `podman ps` knows of it). */
const secondKey = (c: ContainerStatus) => {
  const s = c.startedAt === null ? NaN : Date.parse(c.startedAt);
  return Number.isNaN(s) ? null : `${c.id}:${new Date(Math.floor(s / 1000) * 1000).toISOString()}`;
};

/** The keys an exit is known by: its start as given, and to the second. */
const exitKeys = (c: ContainerStatus) => {
  const second = secondKey(c);
  return [exitKey(c), ...(second === null ? [] : [second])].join("\n");
};

interface Mark {
  /** The key(s) of the last exit counted as a failure. */
  countedExit: string | null;
  /**
   * Whether archy has not started the container again since: until it does,
   * an exit of the same container within the same second is the same exit,
   * however precisely its start is given (`podman ps` and a `died` event built
   * on it know the second; `podman inspect` the nanosecond).
   */
  sameRun: boolean;
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
    const keys = (m.countedExit ?? "").split("\n");
    const second = secondKey(c);
    if (keys.includes(exitKey(c)) || (m.sameRun && second !== null && keys.includes(second)))
      return false;
    this.seen(id, c);
    return true;
  }

  /** archy starts the app's container again: an exit from now on is another run's. */
  restarted(id: string): void {
    this.mark(id).sameRun = false;
  }

  /** The exit was seen by a failed start: observations must not count it again. */
  seen(id: string, c: ContainerStatus): void {
    const m = this.mark(id);
    m.countedExit = exitKeys(c);
    m.sameRun = true;
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
      m = { countedExit: null, sameRun: false, podmanBusy: null };
      this.marks.set(id, m);
    }
    return m;
  }
}
