import { createHash } from "node:crypto";
import { systemClock, type Clock, type TimerHandle } from "./clock.js";
import {
  ContainerNotFoundError,
  EventStreamError,
  ImageNotFoundError,
  PodmanCommandError,
  PodmanTimeoutError,
} from "./errors.js";
import type {
  BuildImageOptions,
  ContainerEvent,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ContainerStatus,
  HealthStatus,
  ImageInfo,
} from "./types.js";
import { assertContainerName, assertImage, assertSpec } from "./validate.js";

export type RuntimeMethod = Exclude<keyof ContainerRuntime, never>;

export interface FakeCall {
  method: RuntimeMethod;
  args: unknown[];
  /** The fake clock's time of the call. */
  at: number;
}

/** What the "process" in a container does once it is started. */
export interface ContainerBehaviour {
  /** The container exits this long after each start. */
  exitAfterMs?: number;
  /** The container exits after being observed (listed or inspected) this many times after each start. */
  exitAfterChecks?: number;
  /** Exit code for the two above; default 1. */
  exitCode?: number;
  /** Results of successive `runHealthcheck` calls; the last one repeats. Default "healthy". */
  health?: ("healthy" | "unhealthy")[];
  /** The process ignores SIGTERM: a stop waits out its grace period and SIGKILLs (killed: true, exit 137). */
  ignoreSigterm?: boolean;
}

export interface FakeContainer {
  id: string;
  name: string;
  spec: ContainerSpec;
  state: ContainerState;
  health: HealthStatus;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  imageId: string | null;
  starts: number;
  checksSinceStart: number;
  healthRuns: number;
}

type ScriptAction = { kind: "fail"; error: Error } | { kind: "hang"; rejectAfterMs?: number };

export interface ScriptOptions {
  /** How many calls the script applies to; default 1. */
  times?: number;
  /** Only calls whose arguments match. */
  match?: (...args: unknown[]) => boolean;
}

interface Script {
  method: RuntimeMethod;
  match?: (...args: unknown[]) => boolean;
  remaining: number;
  action: ScriptAction;
}

export interface FakeRuntimeOptions {
  /**
   * Time and timers (`exitAfterMs`, `hangNext`'s `rejectAfterMs`, call and
   * event times); default `systemClock`. Pass a `VirtualClock` for
   * deterministic times and timers that fire only on `advance()`.
   */
  clock?: Clock;
  /** Images present locally at the start. */
  images?: string[];
  /** Images `pullImage` can fetch. */
  registry?: string[];
}

const MUTATING: ReadonlySet<RuntimeMethod> = new Set([
  "pullImage",
  "buildImage",
  "createContainer",
  "startContainer",
  "stopContainer",
  "removeContainer",
  "removeVolume",
]);

/**
 * An in-memory ContainerRuntime for tests: deterministic ids, every call
 * recorded, failures and hangs scriptable per call, container behaviour
 * scriptable per name, and the same events a real podman emits.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly calls: FakeCall[] = [];
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Map<string, string>();
  readonly volumes = new Set<string>();
  private readonly registry: Set<string>;
  private readonly behaviours = new Map<string, ContainerBehaviour>();
  private readonly scripts: Script[] = [];
  private readonly subscribers = new Set<{
    push: (e: ContainerEvent) => void;
    fail: (e: Error) => void;
  }>();
  private readonly timers = new Set<TimerHandle>();
  private readonly clock: Clock;
  private seq = 0;

  constructor(opts: FakeRuntimeOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.registry = new Set(opts.registry ?? []);
    for (const image of opts.images ?? []) this.addImage(image);
  }

  // ---- scripting -------------------------------------------------------

  /** The next `times` calls of `method` (matching `match`, if given) fail with `error`. */
  failNext(method: RuntimeMethod, error?: Error, opts: ScriptOptions = {}): this {
    return this.script(method, opts, {
      kind: "fail",
      error: error ?? new PodmanCommandError([method], 125, `Error: scripted failure of ${method}`),
    });
  }

  /** The next `times` calls of `method` never answer (or reject with PodmanTimeoutError after `rejectAfterMs`, like a timed-out podman). */
  hangNext(method: RuntimeMethod, opts: ScriptOptions & { rejectAfterMs?: number } = {}): this {
    const after = opts.rejectAfterMs;
    return this.script(method, opts, {
      kind: "hang",
      ...(after !== undefined ? { rejectAfterMs: after } : {}),
    });
  }

  private script(method: RuntimeMethod, opts: ScriptOptions, action: ScriptAction): this {
    this.scripts.push({
      method,
      ...(opts.match ? { match: opts.match } : {}),
      remaining: opts.times ?? 1,
      action,
    });
    return this;
  }

  /** How the container of this name behaves after each start (kept across recreation). */
  setBehaviour(name: string, behaviour: ContainerBehaviour): this {
    this.behaviours.set(name, behaviour);
    return this;
  }

  addImage(image: string): string {
    const id = createHash("sha256").update(`${image}#${this.seq++}`).digest("hex");
    this.images.set(image, id);
    return id;
  }

  /** Puts a container in place directly, in any state (an unmanaged or wedged one). */
  addContainer(
    spec: ContainerSpec,
    state: ContainerState = "running",
    extra: Partial<FakeContainer> = {},
  ): FakeContainer {
    const c: FakeContainer = {
      id: this.nextId(),
      name: spec.name,
      spec,
      state,
      health: null,
      exitCode: state === "exited" ? 0 : null,
      startedAt: state === "created" ? null : this.iso(),
      finishedAt: state === "exited" ? this.iso() : null,
      imageId: this.images.get(spec.image) ?? null,
      starts: state === "created" ? 0 : 1,
      checksSinceStart: 0,
      healthRuns: 0,
      ...extra,
    };
    this.containers.set(spec.name, c);
    return c;
  }

  /** The container's process dies by itself (exit code, default 137: killed). */
  crash(name: string, exitCode = 137): void {
    const c = this.mustGet(name);
    if (c.state !== "running") return;
    this.exit(c, exitCode);
  }

  /** `podman pause` from outside. */
  pause(name: string): void {
    const c = this.mustGet(name);
    c.state = "paused";
    this.emit(c, "pause");
  }

  /** Breaks every open event stream, as when the podman events process dies. */
  breakEvents(): void {
    for (const s of [...this.subscribers]) s.fail(new EventStreamError("scripted break"));
  }

  /** The calls that change something in podman (pull, build, create, start, stop, remove). */
  mutatingCalls(): FakeCall[] {
    return this.calls.filter((c) => MUTATING.has(c.method));
  }

  /** Cancels pending scripted exits. */
  dispose(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  // ---- ContainerRuntime -------------------------------------------------

  async version(): Promise<string> {
    await this.enter("version", []);
    return "fake";
  }

  async imageExists(image: string): Promise<boolean> {
    assertImage(image);
    await this.enter("imageExists", [image]);
    return this.images.has(image);
  }

  async imageId(image: string): Promise<string | null> {
    assertImage(image);
    await this.enter("imageId", [image]);
    return this.images.get(image) ?? null;
  }

  async listImages(): Promise<ImageInfo[]> {
    await this.enter("listImages", []);
    const byId = new Map<string, string[]>();
    for (const [name, id] of this.images) byId.set(id, [...(byId.get(id) ?? []), name]);
    return [...byId].map(([id, names]) => ({ id, names }));
  }

  async containerAddress(name: string): Promise<string | null> {
    await this.enter("containerAddress", [name]);
    const c = this.mustGet(name);
    return c.state === "running" && c.spec.network !== "host" ? "127.0.0.1" : null;
  }

  async pullImage(image: string): Promise<void> {
    assertImage(image);
    await this.enter("pullImage", [image]);
    if (!this.registry.has(image) && !this.images.has(image)) throw new ImageNotFoundError(image);
    if (!this.images.has(image)) this.addImage(image);
  }

  async buildImage(opts: BuildImageOptions): Promise<void> {
    assertImage(opts.tag);
    await this.enter("buildImage", [opts]);
    this.addImage(opts.tag);
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    assertSpec(spec);
    await this.enter("createContainer", [spec]);
    if (this.containers.has(spec.name)) {
      throw new PodmanCommandError(
        ["create", spec.name],
        125,
        `Error: creating container storage: the container name "${spec.name}" is already in use`,
      );
    }
    const imageId = this.images.get(spec.image);
    if (imageId === undefined) throw new ImageNotFoundError(spec.image);
    const c = this.addContainer(structuredClone(spec), "created", { imageId });
    this.emit(c, "create");
    return c.id;
  }

  async startContainer(name: string): Promise<void> {
    assertContainerName(name);
    await this.enter("startContainer", [name]);
    const c = this.mustGet(name);
    if (c.state === "running") return;
    if (c.state === "paused")
      throw new PodmanCommandError(["start", name], 125, `Error: container ${c.id} is paused`);
    c.state = "running";
    c.exitCode = null;
    c.finishedAt = null;
    c.startedAt = this.iso();
    c.starts++;
    c.checksSinceStart = 0;
    c.healthRuns = 0;
    c.health = c.spec.healthcheck ? "starting" : null;
    this.emit(c, "init");
    this.emit(c, "start");
    const b = this.behaviours.get(name);
    if (b?.exitAfterMs !== undefined) {
      const starts = c.starts;
      const timer = this.clock.setTimeout(() => {
        this.timers.delete(timer);
        const now = this.containers.get(name);
        if (now === c && c.state === "running" && c.starts === starts)
          this.exit(c, b.exitCode ?? 1);
      }, b.exitAfterMs);
      this.timers.add(timer);
    }
  }

  async stopContainer(
    name: string,
    opts: { timeoutSeconds?: number } = {},
  ): Promise<{ killed: boolean }> {
    assertContainerName(name);
    await this.enter("stopContainer", [name, opts]);
    const c = this.mustGet(name);
    if (c.state !== "running" && c.state !== "paused") return { killed: false };
    const killed = this.behaviours.get(name)?.ignoreSigterm === true;
    this.emit(c, "stop");
    this.exit(c, killed ? 137 : 143);
    return { killed };
  }

  async removeContainer(
    name: string,
    opts: { force?: boolean; volumes?: boolean } = {},
  ): Promise<void> {
    assertContainerName(name);
    await this.enter("removeContainer", [name, opts]);
    const c = this.mustGet(name);
    if ((c.state === "running" || c.state === "paused") && !opts.force) {
      throw new PodmanCommandError(
        ["rm", name],
        2,
        `Error: cannot remove container ${c.id} as it is running - running or paused containers cannot be removed without force`,
      );
    }
    if (c.state === "running") this.exit(c, 137);
    this.containers.delete(name);
    this.emit(c, "remove");
  }

  async removeVolume(name: string): Promise<void> {
    await this.enter("removeVolume", [name]);
    this.volumes.delete(name);
  }

  async listContainers(opts: { labels?: Record<string, string> } = {}): Promise<ContainerStatus[]> {
    await this.enter("listContainers", [opts]);
    const out: ContainerStatus[] = [];
    for (const c of [...this.containers.values()]) {
      const labels = c.spec.labels ?? {};
      if (Object.entries(opts.labels ?? {}).some(([k, v]) => labels[k] !== v)) continue;
      this.observe(c);
      out.push(this.statusOf(c));
    }
    return out;
  }

  async getContainerStatus(name: string): Promise<ContainerStatus | null> {
    assertContainerName(name);
    await this.enter("getContainerStatus", [name]);
    const c = this.containers.get(name);
    if (!c) return null;
    this.observe(c);
    return this.statusOf(c);
  }

  async getContainerLogs(name: string, opts: { tail?: number } = {}): Promise<string[]> {
    await this.enter("getContainerLogs", [name, opts]);
    const c = this.mustGet(name);
    const lines = Array.from({ length: c.starts }, (_, i) => `${name} start ${i + 1}`);
    return opts.tail !== undefined ? lines.slice(-opts.tail) : lines;
  }

  async *followContainerLogs(
    name: string,
    opts: { tail?: number; signal?: AbortSignal } = {},
  ): AsyncIterable<string> {
    yield* await this.getContainerLogs(name, opts.tail !== undefined ? { tail: opts.tail } : {});
  }

  async runHealthcheck(name: string): Promise<"healthy" | "unhealthy"> {
    assertContainerName(name);
    await this.enter("runHealthcheck", [name]);
    const c = this.mustGet(name);
    if (!c.spec.healthcheck)
      throw new PodmanCommandError(
        ["healthcheck", "run", name],
        125,
        `Error: container ${c.id} has no defined healthcheck`,
      );
    if (c.state !== "running")
      throw new PodmanCommandError(
        ["healthcheck", "run", name],
        125,
        `Error: container ${c.id} is not running`,
      );
    const seq = this.behaviours.get(name)?.health ?? ["healthy"];
    const result = seq[Math.min(c.healthRuns, seq.length - 1)] ?? "healthy";
    c.healthRuns++;
    c.health = result;
    this.emit(c, "health_status");
    return result;
  }

  async *events(opts: { signal?: AbortSignal } = {}): AsyncIterable<ContainerEvent> {
    const queue: ContainerEvent[] = [];
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

  // ---- internals ---------------------------------------------------------

  private async enter(method: RuntimeMethod, args: unknown[]): Promise<void> {
    this.calls.push({ method, args, at: this.clock.now() });
    const script = this.scripts.find(
      (s) => s.method === method && s.remaining > 0 && (!s.match || s.match(...args)),
    );
    if (!script) return;
    script.remaining--;
    if (script.action.kind === "fail") throw script.action.error;
    const after = script.action.rejectAfterMs;
    await new Promise<void>((_, reject) => {
      if (after !== undefined)
        this.clock.setTimeout(() => reject(new PodmanTimeoutError([method], after)), after);
    });
  }

  private observe(c: FakeContainer): void {
    if (c.state !== "running") return;
    c.checksSinceStart++;
    const b = this.behaviours.get(c.name);
    if (b?.exitAfterChecks !== undefined && c.checksSinceStart > b.exitAfterChecks)
      this.exit(c, b.exitCode ?? 1);
  }

  private exit(c: FakeContainer, exitCode: number): void {
    c.state = "exited";
    c.exitCode = exitCode;
    c.finishedAt = this.iso();
    c.health = null;
    this.emit(c, "died", exitCode);
    this.emit(c, "cleanup");
  }

  private statusOf(c: FakeContainer): ContainerStatus {
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
    };
  }

  private emit(c: FakeContainer, status: string, exitCode: number | null = null): void {
    const event: ContainerEvent = {
      time: this.iso(),
      id: c.id,
      name: c.name,
      status,
      exitCode,
      health: status === "health_status" ? c.health : null,
      labels: { ...(c.spec.labels ?? {}) },
    };
    for (const s of this.subscribers) s.push(event);
  }

  private mustGet(name: string): FakeContainer {
    const c = this.containers.get(name);
    if (!c) throw new ContainerNotFoundError(name);
    return c;
  }

  private nextId(): string {
    return createHash("sha256").update(`container#${this.seq++}`).digest("hex");
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
