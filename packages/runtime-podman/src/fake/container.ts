import type { Clock, TimerHandle } from "../clock/clock.js";
import { EventStreamError, PodmanCommandError } from "../errors.js";
import type { ContainerBehaviour } from "./scripts.js";
import type {
  ContainerEvent,
  ContainerSpec,
  ContainerState,
  ContainerStatus,
  ContainerUsage,
  HealthStatus,
} from "../types.js";

export interface FakeContainer {
  id: string;
  name: string;
  spec: ContainerSpec;
  state: ContainerState;
  health: HealthStatus;
  exitCode: number | null;
  /** The last exit was the kernel's OOM kill (`FakeRuntime.oomKill`). */
  oomKilled: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  imageId: string | null;
  starts: number;
  checksSinceStart: number;
  healthRuns: number;
}

interface Subscriber {
  push: (e: ContainerEvent) => void;
  fail: (e: Error) => void;
}

/**
 * What happens to the fake's containers: their state changes, the events
 * each change sends to every open stream, and the exits and health results
 * their ContainerBehaviour scripts. Callers check podman's preconditions.
 */
export class ContainerModel {
  readonly containers = new Map<string, FakeContainer>();
  readonly behaviours = new Map<string, ContainerBehaviour>();
  /** By image id: every container of that image behaves so (a broken image), unless its name has one. */
  readonly imageBehaviours = new Map<string, ContainerBehaviour>();

  private behaviourOf(c: FakeContainer): ContainerBehaviour | undefined {
    return (
      this.behaviours.get(c.name) ?? (c.imageId ? this.imageBehaviours.get(c.imageId) : undefined)
    );
  }
  private readonly subscribers = new Set<Subscriber>();
  /** The last HISTORY events, for a stream opened with `since`. */
  private readonly history: ContainerEvent[] = [];
  private readonly timers = new Set<TimerHandle>();
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** The clock's time, as podman prints it. */
  isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** Puts a container in place in any state, with the fields a container in that state has (`extra` overrides them). */
  add(
    id: string,
    spec: ContainerSpec,
    state: ContainerState,
    extra: Partial<FakeContainer> = {},
  ): FakeContainer {
    const c: FakeContainer = {
      id,
      name: spec.name,
      spec,
      state,
      health: null,
      exitCode: state === "exited" ? 0 : null,
      startedAt: state === "created" ? null : this.isoNow(),
      finishedAt: state === "exited" ? this.isoNow() : null,
      imageId: null,
      starts: state === "created" ? 0 : 1,
      checksSinceStart: 0,
      healthRuns: 0,
      oomKilled: false,
      ...extra,
    };
    this.containers.set(spec.name, c);
    return c;
  }

  start(c: FakeContainer): void {
    c.state = "running";
    c.exitCode = null;
    c.finishedAt = null;
    c.startedAt = this.isoNow();
    c.starts++;
    c.checksSinceStart = 0;
    c.healthRuns = 0;
    c.health = c.spec.healthcheck ? "starting" : null;
    this.emit(c, "init");
    this.emit(c, "start");
    const b = this.behaviourOf(c);
    if (b?.exitAfterMs !== undefined) {
      const starts = c.starts;
      const timer = this.clock.setTimeout(() => {
        this.timers.delete(timer);
        const now = this.containers.get(c.name);
        if (now === c && c.state === "running" && c.starts === starts)
          this.exit(c, b.exitCode ?? 1);
      }, b.exitAfterMs);
      this.timers.add(timer);
    }
  }

  /** Stops a running or paused container: SIGTERM, or SIGKILL if its behaviour ignores SIGTERM. */
  stop(c: FakeContainer): { killed: boolean } {
    const killed = this.behaviourOf(c)?.ignoreSigterm === true;
    this.emit(c, "stop");
    this.exit(c, killed ? 137 : 143);
    return { killed };
  }

  pause(c: FakeContainer): void {
    c.state = "paused";
    this.emit(c, "pause");
  }

  remove(c: FakeContainer): void {
    if (c.state === "running") this.exit(c, 137);
    this.containers.delete(c.name);
    this.emit(c, "remove");
  }

  exit(c: FakeContainer, exitCode: number, oomKilled = false): void {
    c.state = "exited";
    c.exitCode = exitCode;
    c.oomKilled = oomKilled;
    c.finishedAt = this.isoNow();
    c.health = null;
    this.emit(c, "died", exitCode);
    this.emit(c, "cleanup");
  }

  /** A list or inspect saw the container; its behaviour may make it exit. */
  observe(c: FakeContainer): void {
    if (c.state !== "running") return;
    c.checksSinceStart++;
    const b = this.behaviourOf(c);
    if (b?.exitAfterChecks !== undefined && c.checksSinceStart > b.exitAfterChecks)
      this.exit(c, b.exitCode ?? 1);
  }

  /** The next health result its behaviour scripts for a running container with a healthcheck. */
  runHealthcheck(c: FakeContainer): "healthy" | "unhealthy" {
    const seq = this.behaviourOf(c)?.health ?? ["healthy"];
    const result = seq[Math.min(c.healthRuns, seq.length - 1)] ?? "healthy";
    c.healthRuns++;
    c.health = result;
    this.emit(c, "health_status");
    return result;
  }

  emit(c: FakeContainer, status: string, exitCode: number | null = null): void {
    const event: ContainerEvent = {
      time: this.isoNow(),
      id: c.id,
      name: c.name,
      status,
      exitCode,
      health: status === "health_status" ? c.health : null,
      labels: { ...(c.spec.labels ?? {}) },
    };
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.shift();
    for (const s of this.subscribers) s.push(event);
  }

  /** `podman rename`: the container keeps its id, state and run under a new name. */
  rename(c: FakeContainer, newName: string): void {
    if (this.containers.has(newName))
      throw new PodmanCommandError(
        ["rename", c.name, newName],
        125,
        `Error: renaming container ${c.id}: the container name "${newName}" is already in use`,
      );
    this.containers.delete(c.name);
    c.name = newName;
    c.spec = { ...c.spec, name: newName };
    this.containers.set(newName, c);
    this.emit(c, "rename");
  }

  /**
   * Every event emitted from the first read on, until `signal` aborts or the
   * streams break; with `since`, first those emitted from then on (as
   * podman's `--since` replays its event log).
   */
  async *stream(
    opts: { signal?: AbortSignal; since?: number } = {},
  ): AsyncIterable<ContainerEvent> {
    const since = opts.since;
    const queue: ContainerEvent[] =
      since === undefined ? [] : this.history.filter((e) => Date.parse(e.time) >= since);
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    const sub = {
      push: (e: ContainerEvent) => {
        queue.push(e);
        wake?.();
      },
      fail: (e: Error) => {
        failure = e;
        wake?.();
      },
    };
    const onAbort = () => wake?.();
    this.subscribers.add(sub);
    opts.signal?.addEventListener("abort", onAbort);
    try {
      for (;;) {
        if (opts.signal?.aborted) return;
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (failure) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      this.subscribers.delete(sub);
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }

  breakStreams(): void {
    for (const s of [...this.subscribers]) s.fail(new EventStreamError("scripted break"));
  }

  /** The streams open now stay open and deliver nothing more; streams opened later work. */
  stallStreams(): void {
    this.subscribers.clear();
  }

  dispose(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
  }
}

/** Events the fake keeps for replays. */
const HISTORY = 1_000;

/** As podman reports a container; only an inspect says whether it was killed for memory. */
export function statusOf(c: FakeContainer, inspect = false): ContainerStatus {
  return {
    id: c.id,
    name: c.name,
    image: c.spec.image,
    imageId: c.imageId,
    state: c.state,
    health: c.health,
    exitCode: c.state === "exited" ? c.exitCode : null,
    startedAt: c.startedAt,
    finishedAt: c.state === "exited" ? c.finishedAt : null,
    labels: { ...(c.spec.labels ?? {}) },
    ports: [...(c.spec.ports ?? [])],
    ...(inspect && c.state === "exited" ? { oomKilled: c.oomKilled } : {}),
  };
}

/** What the running ones use: 10 ms of CPU per second run, 8 MiB, the limit or 16 GiB. */
export function usageOf(containers: FakeContainer[], now: number): ContainerUsage[] {
  return containers
    .filter((c) => c.state === "running")
    .map((c) => ({
      id: c.id.slice(0, 12),
      name: c.name,
      cpuNanos: Math.max(0, now - Date.parse(c.startedAt ?? new Date(now).toISOString())) * 10_000,
      memoryBytes: 8 * 1024 ** 2,
      memoryLimitBytes: c.spec.resources?.memoryBytes ?? 16 * 1024 ** 3,
    }));
}
