// Helpers for this package's unit tests (not exported from the package).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeRuntime, VirtualClock } from "@archy/runtime-podman/testing";
import { afterEach, beforeEach } from "vitest";
import { parseManifest, type AppManifest } from "./manifest/index.js";
import { Reconciler, type ReconcilerOptions } from "./reconciler.js";
import type { Logger } from "./types.js";

export interface AppOptions {
  deps?: string[];
  policy?: "always" | "on-failure" | "no";
  health?: string;
  hooks?: string[][];
  configFiles?: string[];
  env?: Record<string, string>;
  dir?: string;
  image?: string;
  backoff?: string;
  /** `update:` as flow YAML, e.g. "{ gate: 10s }". */
  update?: string;
  ports?: string[];
  /** `container.resources:` as flow YAML, e.g. "{ memory: 64m }". */
  resources?: string;
}

/** An app manifest parsed from YAML, as a user would write it. */
export function makeApp(id: string, o: AppOptions = {}): AppManifest {
  const lines = [
    "app:",
    `  id: ${id}`,
    `  name: ${id}`,
    '  version: "1"',
    ...(o.deps ? [`  depends_on: [${o.deps.join(", ")}]`] : []),
    "  container:",
    `    image: ${o.image ?? `localhost/${id}:1`}`,
    "    stop_timeout: 1s",
    ...(o.env ? [`    env: ${JSON.stringify(o.env)}`] : []),
    ...(o.ports ? [`    ports: ${JSON.stringify(o.ports)}`] : []),
    ...(o.health ? [`    healthcheck: ${o.health}`] : []),
    ...(o.resources ? [`    resources: ${o.resources}`] : []),
    ...(o.policy || o.backoff
      ? [
          `  restart: { ${[o.policy ? `policy: ${o.policy}` : "", o.backoff ? `backoff: ${o.backoff}` : ""].filter(Boolean).join(", ")} }`,
        ]
      : []),
    ...(o.hooks ? [`  hooks: { pre_start: ${JSON.stringify(o.hooks)} }`] : []),
    ...(o.configFiles ? [`  config_files: ${JSON.stringify(o.configFiles)}`] : []),
    ...(o.update ? [`  update: ${o.update}`] : []),
  ];
  const r = parseManifest(lines.join("\n") + "\n", join(o.dir ?? "/tmp", `${id}.yaml`));
  if (!r.app) throw new Error(r.errors.map((e) => e.message).join("; "));
  return r.app;
}

export async function tempState(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "archy-reconciler-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Advances `clock` until `promise` settles and returns its value (or throws
 * its error). Timers due now fire first, so a promise that needs no time
 * settles without moving the clock; otherwise time moves in `step` ms
 * increments, and only while a timer is pending: while the promise waits
 * for real I/O alone (a hook, a state file), time stands still. Throws when
 * `limitMs` of virtual time pass, or when nothing is pending on the clock
 * for a long stretch of real work (the promise waits for what never comes).
 */
export async function settle<T>(
  clock: VirtualClock,
  promise: Promise<T>,
  step = 50,
  limitMs = 120_000,
): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
  promise.then(
    (value) => (outcome = { ok: true, value }),
    (error: unknown) => (outcome = { ok: false, error }),
  );
  const start = clock.now();
  let idle = 0;
  for (;;) {
    await clock.advance(0);
    if (outcome) break;
    if (clock.pending === 0) {
      if (++idle > 200_000)
        throw new Error("settle: the promise waits and no timer is pending on the clock");
      continue;
    }
    idle = 0;
    if (clock.now() - start >= limitMs)
      throw new Error(`settle: not settled within ${limitMs} ms of virtual time`);
    await clock.advance(step);
  }
  const done = outcome as { ok: true; value: T } | { ok: false; error: unknown };
  if (!done.ok) throw done.error;
  return done.value;
}

/** The time a fixture's clock starts at. */
export const START = Date.UTC(2026, 10, 22, 12);

export interface ReconcilerFixture {
  /** Shared by the runtime and every Reconciler the test makes. */
  clock: VirtualClock;
  fake: FakeRuntime;
  /** A temp folder: the state folder, and where the apps' manifest files live. */
  dir: string;
  /** A Reconciler on the fixture's runtime, clock and state folder (`startSettleMs: 0`, no stray reaper, unless given). */
  make(apps: AppManifest[], extra?: Partial<ReconcilerOptions>): Reconciler;
  /** An app whose manifest file is in the fixture's folder. */
  app(id: string, o?: AppOptions): AppManifest;
  /** `settle` on the fixture's clock. */
  settle<T>(promise: Promise<T>, step?: number): Promise<T>;
}

/**
 * A fresh VirtualClock, FakeRuntime (with `images`) and temp state folder for
 * each test of the file that calls it; disposed after each.
 */
export function reconcilerFixture(
  images = ["localhost/web:1", "localhost/db:1", "localhost/cache:1", "localhost/job:1"],
): ReconcilerFixture {
  let remove: () => Promise<void> = async () => undefined;
  const f: ReconcilerFixture = {
    clock: new VirtualClock(START),
    fake: new FakeRuntime(),
    dir: "",
    make: (apps, extra = {}) =>
      new Reconciler({
        runtime: f.fake,
        apps,
        stateDir: f.dir,
        startSettleMs: 0,
        clock: f.clock,
        reapStray: null, // the fake's containers have no processes in /proc
        ...extra,
      }),
    app: (id, o = {}) => makeApp(id, { dir: f.dir, ...o }),
    settle: (promise, step) => settle(f.clock, promise, step),
  };
  beforeEach(async () => {
    const state = await tempState();
    f.dir = state.dir;
    remove = state.remove;
    f.clock = new VirtualClock(START);
    f.fake = new FakeRuntime({ clock: f.clock, images });
  });
  afterEach(async () => {
    f.fake.dispose();
    await remove();
  });
  return f;
}

/** A logger that keeps the messages of its errors (and drops the rest). */
export function errorLogger(): { errors: string[]; logger: Logger } {
  const errors: string[] = [];
  return {
    errors,
    logger: { debug() {}, info() {}, warn() {}, error: (_o: object, m: string) => errors.push(m) },
  };
}
