// The kill -9 torture: rounds of random owner and world actions against a
// running daemon, a kill at a random moment, a new daemon, then the
// invariants. Shared by the integration test and bench/chaos-torture.ts.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describeAction, drawRound, perform, type ActionOutcome } from "./actions.js";
import { archyCli, spawnDaemon, type DaemonProcess } from "./daemon.js";
import { checkConverged, checkStateFiles, podmanContainers, type Problem } from "./invariants.js";
import { IntentModel } from "./model.js";
import { Prng, randomSeed } from "./prng.js";
import { appDef, BASE_APPS, createChaosStack, EXTRA_APP, type ChaosStack } from "./stack.js";

export interface TortureOptions {
  rounds: number;
  seed?: number;
  /** How long a new daemon may take to converge (ms). */
  convergeTimeoutMs?: number;
  /** Keeps one CPU busy with another process during the run. */
  busyCpu?: boolean;
  /** Stops after the round in flight (the stack is cleaned up as after the last round). */
  signal?: AbortSignal;
  /** Progress lines (stderr in the bench, the console in the test). */
  log?: (line: string) => void;
}

export interface Violation {
  round: number;
  seed: number;
  invariant: Problem["invariant"];
  evidence: string;
}

export interface TortureResult {
  seed: number;
  rounds: number;
  violations: Violation[];
  /** Per round: from the new daemon's spawn to every invariant holding (ms). */
  convergeMs: number[];
  /** Containers replaced although their app's manifest did not change and it was not (re)installed. */
  needlessRecreates: number;
}

export const formatViolation = (v: Violation) =>
  `round ${v.round} (seed ${v.seed}): ${v.invariant}: ${v.evidence}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the invariants until they hold or the deadline passes. */
async function converge(
  stack: ChaosStack,
  model: IntentModel,
  daemon: DaemonProcess,
  timeoutMs: number,
) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const check = await checkConverged(stack, model);
    if (check.problems.length === 0) return { ...check, ms: performance.now() - daemon.startedAt };
    if (performance.now() > deadline || daemon.exited())
      return { ...check, ms: null as number | null };
    await sleep(200);
  }
}

export async function runTorture(opts: TortureOptions): Promise<TortureResult> {
  const seed = opts.seed ?? randomSeed();
  const log = opts.log ?? (() => undefined);
  const timeoutMs = opts.convergeTimeoutMs ?? 20_000;
  const rng = new Prng(seed);
  const result: TortureResult = {
    seed,
    rounds: 0,
    violations: [],
    convergeMs: [],
    needlessRecreates: 0,
  };
  const busy = opts.busyCpu
    ? spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" })
    : null;
  const stack = await createChaosStack();
  let daemon: DaemonProcess | null = null;
  try {
    const model = new IntentModel({
      ...Object.fromEntries(BASE_APPS.map((a) => [a.id, "running" as const])),
      [EXTRA_APP.id]: "absent",
    });
    daemon = await spawnDaemon(stack);
    const first = await converge(stack, model, daemon, 60_000);
    if (first.ms === null)
      throw new Error(
        `the stack did not converge under the first daemon: ${first.problems.map((p) => `${p.invariant}: ${p.evidence}`).join("; ")}\n${daemon.stderrTail()}`,
      );
    let ids = new Map([...first.containers].map(([app, c]) => [app, c.id]));
    const runningOf = (cs: typeof first.containers) =>
      new Set([...cs.values()].filter((c) => c.state === "running").map((c) => c.id));
    let runningBefore = runningOf(first.containers);
    /** Apps edited or (re)installed whose container has not been replaced since. */
    const owed = new Set<string>();

    for (let round = 1; round <= opts.rounds && !opts.signal?.aborted; round++) {
      const plan = drawRound(rng.fork());
      const violation = (invariant: Problem["invariant"], evidence: string) => {
        const v = { round, seed, invariant, evidence };
        result.violations.push(v);
        log(`VIOLATION ${formatViolation(v)}`);
      };

      // The round: the actions one after the other, the kill during the last one.
      const outcomes: ActionOutcome[] = [];
      let last: Promise<ActionOutcome> | null = null;
      for (let i = 0; i < plan.actions.length; i++) {
        await sleep(plan.gaps[i]!);
        const p = perform(stack, model, plan.actions[i]!, round);
        if (i < plan.actions.length - 1) outcomes.push(await p);
        else last = p;
      }
      await sleep(plan.killDelayMs);
      await daemon.kill(plan.killMode);
      const killedPid = daemon.pid;
      daemon = null;
      outcomes.push(await last!);
      const story = `actions: ${outcomes.map((o) => `${describeAction(o.action)} [${o.line}]`).join("; ")}; then ${plan.killMode} after ${plan.killDelayMs} ms`;
      log(`round ${round}: ${story}`);

      // What the dead daemon left: loadable files, a running set that lost nothing that kept running.
      const left = await checkStateFiles(stack);
      for (const p of left.problems) violation(p.invariant, `${p.evidence} (after ${story})`);
      const runningNow = (await podmanContainers(stack)).filter((c) => c.state === "running");
      // Running at both ends and touched by nobody this round (a stop and a start in between keep the id).
      const touched = new Set(plan.actions.map((a) => ("app" in a ? a.app : EXTRA_APP.id)));
      const stable = runningNow
        .filter(
          (c) =>
            runningBefore.has(c.id) &&
            c.app !== null &&
            !touched.has(c.app) &&
            !appDef(c.app).crashLoops,
        )
        .map((c) => c.id);
      const inSnapshot = new Set((left.snapshot?.containers ?? []).map((c) => c.id));
      const lost = stable.filter((id) => !inSnapshot.has(id));
      if (left.snapshot && lost.length > 0)
        violation(
          "running-set",
          `containers running all round are missing from the snapshot: ${lost.map((i) => i.slice(0, 12)).join(", ")} (after ${story})`,
        );

      // A new daemon: recovery exactly when the previous one crashed, then convergence.
      daemon = await spawnDaemon(stack);
      const status = await statusOf(stack);
      const crashed = plan.killMode !== "sigterm";
      const prev = status.daemon?.previousRun ?? null;
      if (crashed !== (prev?.ended === "crash") || crashed !== (status.daemon?.recovery != null))
        violation(
          "recovery",
          `killed with ${plan.killMode} (PID ${killedPid}), the new daemon reports previousRun ${JSON.stringify(prev)} and recovery ${status.daemon?.recovery ? "ran" : "did not run"}`,
        );
      const done = await converge(stack, model, daemon, timeoutMs);
      if (done.ms === null) {
        for (const p of done.problems)
          violation(
            p.invariant,
            `${p.evidence} (${timeoutMs} ms after the new daemon; ${story}; model ${model.describe()})`,
          );
        log(`daemon log tail:\n${await logTail(stack)}`);
        // Go on from what the daemon holds now, so one violation is not counted again each round.
        for (const [id, actual] of done.desired) model.settle(id, actual);
      } else result.convergeMs.push(done.ms);

      // Needless recreates: a new container for an app nobody edited, installed or removed
      // since its last one (an edit of a stopped app is owed until it starts again).
      for (const o of outcomes) for (const app of o.recreates) owed.add(app);
      for (const [app, c] of done.containers) {
        const before = ids.get(app);
        if (before === undefined || before === c.id) continue;
        if (owed.delete(app)) continue;
        result.needlessRecreates++;
        const why = await logTail(stack, 8, (l) => l.includes(`"app":"${app}"`));
        log(
          `round ${round}: ${app} was recreated needlessly (${before.slice(0, 12)} -> ${c.id.slice(0, 12)}); its last lines in the log:\n${why}`,
        );
      }
      ids = new Map([...done.containers].map(([app, c]) => [app, c.id]));
      runningBefore = runningOf(done.containers);
      result.rounds = round;
      log(
        `round ${round}: ${done.ms === null ? "NOT converged" : `converged in ${Math.round(done.ms)} ms`}`,
      );
    }
    return result;
  } finally {
    await daemon?.kill("sigterm");
    busy?.kill("SIGKILL");
    await stack.cleanup();
  }
}

async function statusOf(stack: ChaosStack) {
  const r = await archyCli(stack, ["status", "--json"], 30_000);
  return JSON.parse(r.stdout) as {
    daemon: { previousRun: { ended: string } | null; recovery: unknown } | null;
  };
}

/** The last lines of the daemons' log in the state folder. */
async function logTail(
  stack: ChaosStack,
  lines = 25,
  keep: (line: string) => boolean = () => true,
): Promise<string> {
  const text = await readFile(join(stack.stateDir, "log", "archy.log"), "utf8").catch(
    (error: unknown) => `(no log: ${String(error)})`,
  );
  return text.trimEnd().split("\n").filter(keep).slice(-lines).join("\n");
}
