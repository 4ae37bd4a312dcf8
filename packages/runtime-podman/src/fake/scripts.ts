import type { Clock } from "../clock/clock.js";
import { PodmanTimeoutError } from "../errors.js";
import type { ContainerRuntime } from "../types.js";

export type RuntimeMethod = Exclude<keyof ContainerRuntime, never>;

/** The methods that change something in podman (pull, build, create, run, start, stop, remove). */
export const MUTATING: ReadonlySet<RuntimeMethod> = new Set([
  "pullImage",
  "buildImage",
  "createContainer",
  "runContainer",
  "startContainer",
  "startContainers",
  "stopContainer",
  "removeContainer",
  "removeVolume",
  "renameContainer",
  "tagImage",
  "removeImage",
]);

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

export type ScriptAction =
  | { kind: "fail"; error: Error }
  | { kind: "hang"; rejectAfterMs?: number }
  | { kind: "slow"; delayMs: number };

export interface ScriptOptions {
  /** How many calls the script applies to; default 1. */
  times?: number;
  /** Only calls whose arguments match; for "startContainers", each name of the batch is matched on its own. */
  match?: (...args: unknown[]) => boolean;
}

interface Script {
  method: RuntimeMethod;
  match?: (...args: unknown[]) => boolean;
  remaining: number;
  action: ScriptAction;
}

/** The failures and hangs scripted for runtime calls, each used up by the calls it matches. */
export class CallScripts {
  private readonly scripts: Script[] = [];
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  add(method: RuntimeMethod, opts: ScriptOptions, action: ScriptAction): void {
    this.scripts.push({
      method,
      ...(opts.match ? { match: opts.match } : {}),
      remaining: opts.times ?? 1,
      action,
    });
  }

  /**
   * Plays the first script left for this call: throws its failure, returns
   * a promise that never settles (or rejects with PodmanTimeoutError after
   * `rejectAfterMs`) for a hang, or one that resolves after `delayMs` for a
   * slow call (which then does its work). Returns undefined when no script
   * matches, so an unscripted call goes on without waiting.
   */
  play(method: RuntimeMethod, args: unknown[]): Promise<void> | undefined {
    const script = this.scripts.find(
      (s) => s.method === method && s.remaining > 0 && (!s.match || s.match(...args)),
    );
    if (!script) return undefined;
    script.remaining--;
    if (script.action.kind === "fail") throw script.action.error;
    if (script.action.kind === "slow") {
      const { delayMs } = script.action;
      return new Promise<void>((resolve) => this.clock.setTimeout(resolve, delayMs));
    }
    const after = script.action.rejectAfterMs;
    return new Promise<void>((_, reject) => {
      if (after !== undefined)
        this.clock.setTimeout(() => reject(new PodmanTimeoutError([method], after)), after);
    });
  }
}
