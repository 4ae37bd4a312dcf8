import {
  systemClock,
  type Clock,
  type ContainerRuntime,
  type ContainerStatus,
} from "@archy/runtime-podman";
import { AppHealth } from "./health/app-health.js";
import { AppStates } from "./state/app-state.js";
import { DesiredStateStore } from "./state/desired.js";
import { UpdatesStore } from "./state/updates.js";
import { recoverUpdates } from "./update/recover.js";
import { EventBus } from "./state/event-bus.js";
import { Executor } from "./pass/execute.js";
import type { OomKills } from "./pass/oom.js";
import type { AppManifest } from "./manifest/index.js";
import { ManifestsFolder } from "./manifest/folder.js";
import { KeyedQueue } from "./state/queue.js";
import { watchPodmanTrouble } from "./pass/podman-trouble.js";
import { strayConmonReaper, type StrayReaper } from "./pass/stray-conmon.js";
import { silentLogger, type Logger, type ObservedApp } from "./types.js";

export interface ReconcilerOptions {
  runtime: ContainerRuntime;
  /** Folder of `*.yaml` manifests, re-read on every pass. */
  manifestsDir?: string;
  /** Or a fixed list of apps. */
  apps?: AppManifest[];
  /** Holds `desired.json`; created 0700. */
  stateDir: string;
  /** Apps started in parallel at most; default 4. */
  concurrency?: number;
  /** Time: now, timers and sleeps; default the system clock. */
  clock?: Clock;
  /** Timeout of each pre-start hook; default 60 s. */
  hookTimeoutMs?: number;
  /** How long a started container without a health check must stay running to count as started; default 1 s. */
  startSettleMs?: number;
  logger?: Logger;
  /**
   * Ends the processes podman leaves running for a container it removed
   * (a conmon holding the app's ports after podman was killed mid-start);
   * default: the conmon of that container id found in /proc. null: none.
   */
  reapStray?: StrayReaper | null;
}

/** The parts of a reconciler, wired once; each room of the pass gets what it needs from here. */
export interface Core {
  /** The runtime every room calls, watched for podman's own failures. */
  runtime: ContainerRuntime;
  /** When a call last failed because of podman itself (see watchPodmanTrouble). */
  podmanTroubleAt: () => number | null;
  clock: Clock;
  log: Logger;
  bus: EventBus;
  manifests: ManifestsFolder;
  desired: DesiredStateStore;
  /** Updates: the journal of one under way, blocked images, last outcomes. */
  updates: UpdatesStore;
  /** Newer images the daemon's update checks found, by app id (update/watch.ts). */
  available: Map<string, { latest: string; at: string }>;
  /** Exits a pass asked podman about: killed for memory or not (pass/oom.ts). */
  oomKills: OomKills;
  /** Why pulls are refused now (the daemon found the disk low), or null. */
  pullsRefused: string | null;
  /** Finishes or undoes the updates a crash cut; runs once per process, before the first pass or update. */
  recoverUpdates: () => Promise<void>;
  states: AppStates;
  health: AppHealth;
  executor: Executor;
  /** Serialises the work for one app: operations and pass actions never overlap. */
  queue: KeyedQueue;
  concurrency: number;
  hookTimeoutMs: number;
  /**
   * The last successful observation: every container (null before a pass's
   * first; a settle's status poll refreshes it since), the orphans among
   * them, and each app as the last pass saw it.
   */
  last: {
    containers: ContainerStatus[] | null;
    orphans: ContainerStatus[];
    observed: Record<string, ObservedApp>;
  };
}

export function createCore(opts: ReconcilerOptions): Core {
  if (!opts.manifestsDir && !opts.apps)
    throw new TypeError("Reconciler needs manifestsDir or apps");
  const clock = opts.clock ?? systemClock;
  const log = opts.logger ?? silentLogger;
  const bus = new EventBus(log);
  // Parsed manifests are kept in the state folder too, for the next process.
  const manifests = new ManifestsFolder(opts.manifestsDir, opts.apps, log, {
    stateDir: opts.stateDir,
  });
  const states = new AppStates(clock, bus, log);
  const { runtime, troubleAt } = watchPodmanTrouble(opts.runtime, clock);
  const health = new AppHealth(runtime, clock, states, bus, () => manifests.valid());
  const last: Core["last"] = { containers: null, orphans: [], observed: {} };
  const core: Core = {
    runtime,
    podmanTroubleAt: troubleAt,
    clock,
    log,
    bus,
    manifests,
    desired: new DesiredStateStore(opts.stateDir, log),
    updates: new UpdatesStore(opts.stateDir, log),
    available: new Map(),
    pullsRefused: null,
    oomKills: new Map(),
    states,
    health,
    executor: new Executor({
      runtime,
      clock,
      states,
      health,
      log,
      settleMs: opts.startSettleMs ?? 1_000,
      // A settle's ps is as fresh a view of every container as a pass's (the snapshot's running set).
      onList: (containers) => {
        if (last.containers !== null) last.containers = containers;
      },
      ...(opts.reapStray === null ? {} : { reapStray: opts.reapStray ?? strayConmonReaper() }),
      pullsRefused: () => core.pullsRefused,
    }),
    queue: new KeyedQueue(),
    concurrency: Math.max(1, opts.concurrency ?? 4),
    hookTimeoutMs: opts.hookTimeoutMs ?? 60_000,
    last,
    recoverUpdates: () => {
      // A failure (podman not answering) is tried again by the next caller.
      recovering ??= recoverUpdates(core).catch((error: unknown) => {
        recovering = null;
        throw error;
      });
      return recovering;
    },
  };
  let recovering: Promise<void> | null = null;
  return core;
}
