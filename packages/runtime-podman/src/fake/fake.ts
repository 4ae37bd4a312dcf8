import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { systemClock, type Clock } from "../clock/clock.js";
import { ContainerNotFoundError, ImageNotFoundError, PodmanCommandError } from "../errors.js";
import { FakeImages } from "./images.js";
import { ContainerModel, statusOf, usageOf, type FakeContainer } from "./container.js";
import {
  CallScripts,
  MUTATING,
  type ContainerBehaviour,
  type RuntimeMethod,
  type ScriptAction,
  type ScriptOptions,
} from "./scripts.js";
import { startEach } from "./start.js";
import type {
  BuildImageOptions,
  ContainerEvent,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ContainerStatus,
  ContainerUsage,
  ImageInfo,
} from "../types.js";
import { assertContainerName, assertImage, assertSpec } from "../validate.js";

export interface FakeCall {
  method: RuntimeMethod;
  args: unknown[];
  /** The fake clock's time of the call. */
  at: number;
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

/**
 * An in-memory ContainerRuntime for tests: deterministic ids, every call
 * recorded, failures and hangs scriptable per call, container behaviour
 * scriptable per name, and the same events a real podman emits.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly calls: FakeCall[] = [];
  readonly containers: Map<string, FakeContainer>;
  private readonly imageStore: FakeImages;
  readonly volumes = new Set<string>();
  private readonly model: ContainerModel;
  private readonly scripts: CallScripts;
  private readonly clock: Clock;
  private seq = 0;

  constructor(opts: FakeRuntimeOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.model = new ContainerModel(this.clock);
    this.containers = this.model.containers;
    this.scripts = new CallScripts(this.clock);
    this.imageStore = new FakeImages(opts.registry ?? []);
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

  /** The next `times` calls of `method` take `delayMs` (on the clock) before they do their work. */
  slowNext(method: RuntimeMethod, delayMs: number, opts: ScriptOptions = {}): this {
    return this.script(method, opts, { kind: "slow", delayMs });
  }

  private script(method: RuntimeMethod, opts: ScriptOptions, action: ScriptAction): this {
    this.scripts.add(method, opts, action);
    return this;
  }

  /** How the container of this name behaves after each start (kept across recreation). */
  setBehaviour(name: string, behaviour: ContainerBehaviour): this {
    this.model.behaviours.set(name, behaviour);
    return this;
  }

  /** How every container of this image behaves after each start (a broken image), unless its name has its own. */
  setImageBehaviour(imageId: string, behaviour: ContainerBehaviour): this {
    this.model.imageBehaviours.set(imageId, behaviour);
    return this;
  }

  /** Every image name and the id it points to. */
  get images(): Map<string, string> {
    return this.imageStore.names;
  }

  addImage(image: string): string {
    return this.imageStore.add(image);
  }

  /** The registry gets a new image under `ref` (a push): the next pull fetches it. Returns its id. */
  publish(ref: string): string {
    return this.imageStore.publish(ref);
  }

  /** Puts a container in place directly, in any state (an unmanaged or wedged one). */
  addContainer(
    spec: ContainerSpec,
    state: ContainerState = "running",
    extra: Partial<FakeContainer> = {},
  ): FakeContainer {
    return this.model.add(this.nextId(), spec, state, {
      imageId: this.images.get(spec.image) ?? null,
      ...extra,
    });
  }

  /** The container's process dies by itself (exit code, default 137: killed). */
  crash(name: string, exitCode = 137): void {
    const c = this.mustGet(name);
    if (c.state !== "running") return;
    this.model.exit(c, exitCode);
  }

  /** The kernel kills the container's processes for memory: exit 137, and an inspect says OOMKilled. */
  oomKill(name: string): void {
    const c = this.mustGet(name);
    if (c.state === "running") this.model.exit(c, 137, true);
  }

  /** `podman pause` from outside. */
  pause(name: string): void {
    this.model.pause(this.mustGet(name));
  }

  /** Breaks every open event stream, as when the podman events process dies. */
  breakEvents(): void {
    this.model.breakStreams();
  }

  /** Every open event stream goes silent for good (a `podman events` that hangs); new streams work. */
  stallEvents(): void {
    this.model.stallStreams();
  }

  /** The calls that change something in podman (pull, build, create, run, start, stop, remove). */
  mutatingCalls(): FakeCall[] {
    return this.calls.filter((c) => MUTATING.has(c.method));
  }

  /** Cancels pending scripted exits. */
  dispose(): void {
    this.model.dispose();
  }

  // ---- ContainerRuntime -------------------------------------------------

  async version(): Promise<string> {
    await this.enter("version", []);
    return "fake";
  }

  /** Each running container: 10 ms of CPU per second it has run, 8 MiB of memory, its limit or 16 GiB. */
  async stats(): Promise<ContainerUsage[]> {
    await this.enter("stats", []);
    return usageOf([...this.containers.values()], this.clock.now());
  }

  /** The fake keeps nothing on disk: the temp folder stands in for its store. */
  async storageRoot(): Promise<string> {
    await this.enter("storageRoot", []);
    return tmpdir();
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
    return this.imageStore.list();
  }

  async containerAddress(name: string): Promise<string | null> {
    await this.enter("containerAddress", [name]);
    const c = this.mustGet(name);
    return c.state === "running" && c.spec.network !== "host" ? "127.0.0.1" : null;
  }

  async pullImage(image: string): Promise<void> {
    assertImage(image);
    await this.enter("pullImage", [image]);
    this.imageStore.pull(image);
  }

  async buildImage(opts: BuildImageOptions): Promise<void> {
    assertImage(opts.tag);
    await this.enter("buildImage", [opts]);
    this.addImage(opts.tag);
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    assertSpec(spec);
    await this.enter("createContainer", [spec]);
    return this.create(spec, "create").id;
  }

  /** createContainer then startContainer in one call: the same checks, events and behaviours. */
  async runContainer(spec: ContainerSpec): Promise<string> {
    assertSpec(spec);
    await this.enter("runContainer", [spec]);
    const c = this.create(spec, "run");
    this.model.start(c);
    return c.id;
  }

  async startContainer(name: string): Promise<void> {
    assertContainerName(name);
    await this.enter("startContainer", [name]);
    const c = this.mustGet(name);
    if (c.state === "running") return;
    if (c.state === "paused")
      throw new PodmanCommandError(["start", name], 125, `Error: container ${c.id} is paused`);
    this.model.start(c);
  }

  /**
   * One recorded call (none for an empty list). Scripts of "startContainers"
   * apply per name: `match` gets the name, and a scripted failure fails that
   * name only (its text: a PodmanCommandError's stderr, else its message),
   * unless it is a PodmanTimeoutError or PodmanUnavailableError, which fails
   * the whole call, as would a hang that rejects. `parallel` is recorded with
   * the call (its second argument); the fake starts the names in one go.
   */
  async startContainers(
    names: string[],
    opts?: { parallel?: number },
  ): Promise<{ started: string[]; failed: { name: string; error: string }[] }> {
    const unique = [...new Set(names)];
    unique.forEach(assertContainerName);
    if (unique.length === 0) return { started: [], failed: [] };
    const args = opts === undefined ? [names] : [names, opts];
    this.calls.push({ method: "startContainers", args, at: this.clock.now() });
    return startEach(unique, this.scripts, this.model);
  }

  async stopContainer(
    name: string,
    opts: { timeoutSeconds?: number } = {},
  ): Promise<{ killed: boolean }> {
    assertContainerName(name);
    await this.enter("stopContainer", [name, opts]);
    const c = this.mustGet(name);
    if (c.state !== "running" && c.state !== "paused") return { killed: false };
    return this.model.stop(c);
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
    this.model.remove(c);
  }

  async renameContainer(name: string, newName: string): Promise<void> {
    assertContainerName(name);
    assertContainerName(newName);
    await this.enter("renameContainer", [name, newName]);
    this.model.rename(this.mustGet(name), newName);
  }

  async tagImage(source: string, target: string): Promise<void> {
    await this.enter("tagImage", [source, target]);
    this.imageStore.tag(source, target);
  }

  async removeImage(image: string): Promise<boolean> {
    await this.enter("removeImage", [image]);
    return this.imageStore.remove(image, (id) =>
      [...this.containers.values()].some((c) => c.imageId === id),
    );
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
      this.model.observe(c);
      out.push(statusOf(c));
    }
    return out;
  }

  async getContainerStatus(name: string): Promise<ContainerStatus | null> {
    assertContainerName(name);
    await this.enter("getContainerStatus", [name]);
    const c = this.containers.get(name);
    if (!c) return null;
    this.model.observe(c);
    return statusOf(c, true);
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
    return this.model.runHealthcheck(c);
  }

  events(opts: { signal?: AbortSignal; since?: number } = {}): AsyncIterable<ContainerEvent> {
    return this.model.stream(opts);
  }

  // ---- internals ---------------------------------------------------------

  /** podman's checks of a create (name free, image present), then the created container. */
  private create(spec: ContainerSpec, command: "create" | "run"): FakeContainer {
    if (this.containers.has(spec.name)) {
      throw new PodmanCommandError(
        [command, spec.name],
        125,
        `Error: creating container storage: the container name "${spec.name}" is already in use`,
      );
    }
    const imageId = this.images.get(spec.image);
    if (imageId === undefined) throw new ImageNotFoundError(spec.image);
    const c = this.addContainer(structuredClone(spec), "created", { imageId });
    this.model.emit(c, "create");
    return c;
  }

  private async enter(method: RuntimeMethod, args: unknown[]): Promise<void> {
    this.calls.push({ method, args, at: this.clock.now() });
    const hang = this.scripts.play(method, args);
    if (hang) await hang;
  }

  private mustGet(name: string): FakeContainer {
    const c = this.containers.get(name);
    if (!c) throw new ContainerNotFoundError(name);
    return c;
  }

  private nextId(): string {
    return createHash("sha256").update(`container#${this.seq++}`).digest("hex");
  }
}
