import { isIP } from "node:net";
import { createArgs } from "./args.js";
import {
  ContainerNotFoundError,
  ImageNotFoundError,
  PodmanCommandError,
  PodmanOutputError,
} from "./errors.js";
import { parseImagesJson, parseInspectJson, parsePsJson } from "./parse.js";
import { parseStatsLines, STATS_ARGS } from "./stats.js";
import {
  NOT_FOUND_CONTAINER,
  NOT_FOUND_IMAGE,
  NOT_FOUND_NETWORK,
  onContainer,
  runPodman,
  type PodmanInvocation,
  type PodmanRuntimeOptions,
  type RunOptions,
  type RunResult,
} from "./run.js";
import {
  mergeShares,
  readStartBatch,
  settleRetried,
  splitShares,
  soleFailure,
  sortUnaccounted,
  type ShareOutcome,
  type StartBatch,
} from "./start-batch.js";
import { podmanEvents } from "./events.js";
import { withKernelOom } from "./oom.js";
import { streamPodman } from "./stream.js";
import type {
  ContainerUsage,
  BuildImageOptions,
  ContainerEvent,
  ContainerRuntime,
  ContainerSpec,
  ContainerStatus,
  ImageInfo,
} from "./types.js";
import {
  assertContainerName,
  assertImage,
  assertSpec,
  assertVolumeName,
  isNamedNetwork,
} from "./validate.js";

const SIGKILL_WARNING = /resorting to SIGKILL/i;
const IMAGE_ID = /^[0-9a-f]{64}$/;

/**
 * The podman implementation of ContainerRuntime. Every call runs podman
 * through execa with an argument array (no shell), `globalArgs` first, and a
 * timeout; values are validated before any call.
 */

export class PodmanRuntime implements ContainerRuntime {
  readonly podmanPath: string;
  readonly globalArgs: readonly string[];
  readonly timeoutMs: number;
  readonly longTimeoutMs: number;
  private readonly podman: PodmanInvocation;

  constructor(opts: PodmanRuntimeOptions = {}) {
    this.podmanPath = opts.podmanPath ?? "podman";
    this.globalArgs = [...(opts.globalArgs ?? [])];
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.longTimeoutMs = opts.longTimeoutMs ?? 15 * 60_000;
    this.podman = {
      podmanPath: this.podmanPath,
      globalArgs: this.globalArgs,
      env: opts.env ?? {},
      onCall: opts.onCall,
    };
  }

  private run(args: string[], opts: Partial<RunOptions> = {}): Promise<RunResult> {
    return runPodman(this.podman, args, { ...opts, timeoutMs: opts.timeoutMs ?? this.timeoutMs });
  }

  async version(): Promise<string> {
    const { stdout } = await this.run(["version", "--format", "{{.Client.Version}}"]);
    return stdout.trim();
  }

  async stats(): Promise<ContainerUsage[]> {
    return parseStatsLines((await this.run(STATS_ARGS)).stdout);
  }

  async storageRoot(): Promise<string> {
    const { stdout } = await this.run(["info", "--format", "{{.Store.GraphRoot}}"]);
    return stdout.trim();
  }

  async imageExists(image: string): Promise<boolean> {
    assertImage(image);
    const { exitCode } = await this.run(["image", "exists", "--", image], { okExitCodes: [1] });
    return exitCode === 0;
  }

  async imageId(image: string): Promise<string | null> {
    assertImage(image);
    const { stdout, exitCode, stderr } = await this.run(
      ["image", "inspect", "--format", "{{.Id}}", "--", image],
      { okExitCodes: [125] },
    );
    if (exitCode === 125) {
      if (NOT_FOUND_IMAGE.test(stderr)) return null;
      throw new PodmanCommandError(["image", "inspect", image], exitCode, stderr);
    }
    // An id cut short or garbled would hash to a config that differs: a recreate for nothing.
    const id = stdout.trim().replace(/^sha256:/, "");
    if (!IMAGE_ID.test(id)) throw new PodmanOutputError("image inspect", `not an image id: ${id}`);
    return id;
  }

  /** One `podman images --format json`. */
  async listImages(): Promise<ImageInfo[]> {
    const { stdout } = await this.run(["images", "--format", "json"]);
    return parseImagesJson(stdout);
  }

  async containerAddress(name: string): Promise<string | null> {
    assertContainerName(name);
    const { stdout } = await onContainer(name, () =>
      this.run(["container", "inspect", "--format", "{{.NetworkSettings.IPAddress}}", "--", name]),
    );
    const address = stdout.trim();
    if (address !== "" && isIP(address) === 0)
      throw new PodmanOutputError("container inspect", `not an address: ${address.slice(0, 40)}`);
    return address || null;
  }

  async pullImage(image: string): Promise<void> {
    assertImage(image);
    try {
      await this.run(["pull", "--quiet", "--", image], { timeoutMs: this.longTimeoutMs });
    } catch (error) {
      if (error instanceof PodmanCommandError && NOT_FOUND_IMAGE.test(error.stderr))
        throw new ImageNotFoundError(image, { cause: error });
      throw error;
    }
  }

  async buildImage(opts: BuildImageOptions): Promise<void> {
    assertImage(opts.tag);
    const args = ["build", "--quiet", `--tag=${opts.tag}`];
    if (opts.containerfile) args.push(`--file=${opts.containerfile}`);
    for (const [k, v] of Object.entries(opts.buildArgs ?? {})) args.push(`--build-arg=${k}=${v}`);
    args.push("--", opts.context);
    await this.run(args, { timeoutMs: this.longTimeoutMs });
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    return this.createOrRun(spec, "create");
  }

  /** `podman run --detach` with createContainer's arguments: one process instead of two. */
  async runContainer(spec: ContainerSpec): Promise<string> {
    return this.createOrRun(spec, "run");
  }

  private async createOrRun(spec: ContainerSpec, command: "create" | "run"): Promise<string> {
    assertSpec(spec);
    try {
      return await this.createOrRunOnce(spec, command);
    } catch (error) {
      // A named network is created on first use, as a named volume is: one
      // more podman call only when it is missing.
      const missing = error instanceof PodmanCommandError && NOT_FOUND_NETWORK.test(error.stderr);
      if (!missing || !isNamedNetwork(spec.network)) throw error;
      await this.run(["network", "create", "--", spec.network]).catch((e: unknown) => {
        // Another archy (or the owner) created it meanwhile: fine.
        if (!(e instanceof PodmanCommandError) || !/already exists/i.test(e.stderr)) throw e;
      });
      return this.createOrRunOnce(spec, command);
    }
  }

  private async createOrRunOnce(spec: ContainerSpec, command: "create" | "run"): Promise<string> {
    try {
      const { stdout } = await this.run(createArgs(spec, command));
      return stdout.trim().split("\n").pop() ?? "";
    } catch (error) {
      if (error instanceof PodmanCommandError && NOT_FOUND_IMAGE.test(error.stderr))
        throw new ImageNotFoundError(spec.image, { cause: error });
      throw error;
    }
  }

  async startContainer(name: string): Promise<void> {
    assertContainerName(name);
    await onContainer(name, () => this.run(["start", "--", name]));
  }

  /**
   * `podman start a b c` in one process, or in `parallel` processes side by
   * side, each of an equal share of the names (round-robin): podman starts the
   * names of one process one after the other (its ContainerStart loops over
   * them), waiting on runc, conmon and the network setup of each in turn.
   * Each process may take as long as one process of every name would: side by
   * side on a busy host, each name takes longer.
   *
   * podman 4.3.1 goes on with the others when one fails to start (exit 125,
   * the names it started on stdout, one
   * `Error: unable to start container "<id>": …` per failure on stderr), prints
   * nothing for one already running, and starts none when a name does not
   * exist (`Error: no container with name or ID "<name>" found: …`). When its
   * answer leaves names unaccounted for (beyond one error about the one name
   * it did not print), settleStarts finds out: one inspect, and at most one
   * more start. Three processes at most per share, whatever the number of names.
   */
  async startContainers(
    names: string[],
    opts: { parallel?: number } = {},
  ): Promise<{ started: string[]; failed: { name: string; error: string }[] }> {
    const unique = [...new Set(names)];
    unique.forEach(assertContainerName);
    if (unique.length === 0) return { started: [], failed: [] };
    const timeoutMs = this.timeoutMs + unique.length * 1000;
    const shares = splitShares(unique, opts.parallel ?? 1);
    const outcomes = await Promise.allSettled(
      shares.map((share) => this.startShare(share, timeoutMs)),
    );
    return mergeShares(unique, shares, outcomes);
  }

  /** One `podman start` of `names`, what it left unaccounted for settled. */
  private async startShare(names: string[], timeoutMs: number): Promise<ShareOutcome> {
    const first = await this.startBatch(names, timeoutMs);
    const started = new Set(first.started);
    const failed = new Map<string, string>();
    const rest = names.filter((n) => !started.has(n));
    const sole = soleFailure(rest, first.errors);
    if (sole) failed.set(sole.name, sole.error);
    else if (rest.length > 0)
      await this.settleStarts(rest, first.errors, started, failed, timeoutMs);
    return { started, failed };
  }

  /**
   * The names a batched start left unaccounted for: one inspect tells the
   * missing, the running and the failed (podman's errors name the id) apart;
   * the ones podman never tried get one more `podman start`.
   */
  private async settleStarts(
    names: string[],
    errors: string[],
    started: Set<string>,
    failed: Map<string, string>,
    timeoutMs: number,
  ): Promise<void> {
    const statuses = await this.inspectContainers(names);
    const untried = sortUnaccounted(names, errors, statuses, started, failed);
    if (untried.length === 0) return;
    const second = await this.startBatch(
      untried.map((c) => c.name),
      timeoutMs,
    );
    settleRetried(untried, second, started, failed);
  }

  /**
   * One `podman start` of several names; `timeoutMs` allows a second per name
   * of the whole call on top of the usual timeout (podman starts them one by one).
   */
  private async startBatch(names: string[], timeoutMs: number): Promise<StartBatch> {
    const result = await this.run(["start", "--", ...names], {
      okExitCodes: [125],
      timeoutMs,
    });
    return readStartBatch(names, result);
  }

  async stopContainer(
    name: string,
    opts: { timeoutSeconds?: number } = {},
  ): Promise<{ killed: boolean }> {
    assertContainerName(name);
    const args = ["stop"];
    if (opts.timeoutSeconds !== undefined)
      args.push(`--time=${Math.max(0, Math.round(opts.timeoutSeconds))}`);
    args.push("--", name);
    // The call lasts as long as the grace period, plus podman's own work.
    const grace = (opts.timeoutSeconds ?? 10) * 1000;
    const { stderr } = await onContainer(name, () =>
      this.run(args, { timeoutMs: this.timeoutMs + grace }),
    );
    return { killed: SIGKILL_WARNING.test(stderr) };
  }

  async removeContainer(
    name: string,
    opts: { force?: boolean; volumes?: boolean } = {},
  ): Promise<void> {
    assertContainerName(name);
    const args = ["rm"];
    if (opts.force) args.push("--force", "--time=0");
    if (opts.volumes) args.push("--volumes");
    args.push("--", name);
    await onContainer(name, () => this.run(args));
  }

  async renameContainer(name: string, newName: string): Promise<void> {
    assertContainerName(name);
    assertContainerName(newName);
    await onContainer(name, () => this.run(["rename", "--", name, newName]));
  }

  async tagImage(source: string, target: string): Promise<void> {
    assertImage(source);
    assertImage(target);
    await this.run(["tag", "--", source, target]);
  }

  async removeImage(image: string): Promise<boolean> {
    assertImage(image);
    // 2: in use by a container; 1: no such image; 125 when other names still refer to it.
    const { exitCode, stderr } = await this.run(["rmi", "--", image], { okExitCodes: [1, 2, 125] });
    if (exitCode === 125 && !/more than one tag/.test(stderr))
      throw new PodmanCommandError(["rmi", image], exitCode, stderr);
    return exitCode === 0;
  }

  async removeVolume(name: string): Promise<void> {
    assertVolumeName(name);
    await this.run(["volume", "rm", "--force", "--", name]);
  }

  /** One `podman ps -a --format json`, whatever the number of containers. */
  async listContainers(opts: { labels?: Record<string, string> } = {}): Promise<ContainerStatus[]> {
    const args = ["ps", "--all", "--format", "json"];
    for (const [k, v] of Object.entries(opts.labels ?? {}))
      args.push("--filter", `label=${k}=${v}`);
    const { stdout } = await this.run(args);
    return parsePsJson(stdout);
  }

  /** One `podman inspect`; null when there is no such container. */
  async getContainerStatus(name: string): Promise<ContainerStatus | null> {
    assertContainerName(name);
    const { stdout, stderr, exitCode } = await this.run(["container", "inspect", "--", name], {
      okExitCodes: [125],
    });
    if (exitCode === 125) {
      if (NOT_FOUND_CONTAINER.test(stderr)) return null;
      throw new PodmanCommandError(["container", "inspect", name], exitCode, stderr);
    }
    return withKernelOom(parseInspectJson(stdout))[0] ?? null;
  }

  /** Batched `podman inspect` of several containers in one process; absent ones are left out. */
  async inspectContainers(names: string[]): Promise<ContainerStatus[]> {
    if (names.length === 0) return [];
    names.forEach(assertContainerName);
    // podman prints the ones it found even when one is missing (exit 125).
    const { stdout, stderr, exitCode } = await this.run(["container", "inspect", "--", ...names], {
      okExitCodes: [125],
    });
    if (exitCode === 0 || stdout.trim().startsWith("["))
      return withKernelOom(parseInspectJson(stdout));
    // Nothing printed: right when none of them exists, a failed call otherwise.
    if (NOT_FOUND_CONTAINER.test(stderr)) return [];
    throw new PodmanCommandError(["container", "inspect", ...names], exitCode, stderr);
  }

  async getContainerLogs(name: string, opts: { tail?: number } = {}): Promise<string[]> {
    assertContainerName(name);
    const args = ["logs"];
    if (opts.tail !== undefined) args.push(`--tail=${opts.tail}`);
    args.push("--", name);
    const result = await onContainer(name, () => this.run(args));
    // The container's stdout and stderr arrive on podman's; merge them.
    const lines = [result.stdout, result.stderr].filter((s) => s !== "").join("\n");
    return lines === "" ? [] : lines.split("\n");
  }

  async *followContainerLogs(
    name: string,
    opts: { tail?: number; signal?: AbortSignal } = {},
  ): AsyncIterable<string> {
    assertContainerName(name);
    const args = ["logs", "--follow"];
    if (opts.tail !== undefined) args.push(`--tail=${opts.tail}`);
    args.push("--", name);
    const end = yield* streamPodman(this.podman, args, "all", opts.signal, (line) => line);
    if (!end.aborted && end.exitCode !== 0 && NOT_FOUND_CONTAINER.test(end.tail)) {
      throw new ContainerNotFoundError(name);
    }
  }

  async runHealthcheck(name: string): Promise<"healthy" | "unhealthy"> {
    assertContainerName(name);
    const { exitCode } = await onContainer(name, () =>
      this.run(["healthcheck", "run", "--", name], { okExitCodes: [1] }),
    );
    return exitCode === 0 ? "healthy" : "unhealthy";
  }

  /** `podman events` (see events.ts). */
  events(opts: { signal?: AbortSignal; since?: number } = {}): AsyncIterable<ContainerEvent> {
    return podmanEvents(this.podman, opts);
  }
}
