// The random mix of what owners and the world do to a running daemon, drawn
// from a seeded PRNG: the same seed draws the same rounds.
import type { ChaosStack } from "./stack.js";
import { BASE_APPS, EDITABLE, EXTRA_APP, UPDATED } from "./stack.js";
import { archyCli, type KillMode } from "./daemon.js";
import type { Intent, IntentModel } from "./model.js";
import type { Prng } from "./prng.js";

export type Action =
  | { kind: "start" | "stop" | "restart"; app: string; noWait: boolean }
  /** `archy install` when the extra app is absent, `archy remove` when present. */
  | { kind: "toggle-extra"; noWait: boolean }
  | { kind: "podman-kill" | "podman-stop"; app: string }
  | { kind: "edit-up"; app: string }
  /** A new image pushed for the updated app (good, or one that cannot start), then `archy update`. */
  | { kind: "update"; good: boolean; noWait: boolean };

export interface RoundPlan {
  actions: Action[];
  /** Pause before each action (ms). */
  gaps: number[];
  /** From the launch of the last action to the kill (ms): mid-operation, mid-pass, mid-snapshot-write. */
  killDelayMs: number;
  killMode: KillMode;
}

const TARGETS = [...BASE_APPS.map((a) => a.id), EXTRA_APP.id];

export function drawRound(rng: Prng): RoundPlan {
  const n = rng.int(1, 4);
  const actions: Action[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    if (r < 0.5)
      actions.push({
        kind: rng.pick(["start", "stop", "restart"] as const),
        app: rng.pick(TARGETS),
        noWait: rng.chance(0.5),
      });
    else if (r < 0.6) actions.push({ kind: "toggle-extra", noWait: rng.chance(0.5) });
    else if (r < 0.8)
      actions.push({
        kind: rng.pick(["podman-kill", "podman-stop"] as const),
        app: rng.pick(TARGETS),
      });
    else if (r < 0.9) actions.push({ kind: "edit-up", app: rng.pick(EDITABLE) });
    else actions.push({ kind: "update", good: rng.chance(0.6), noWait: rng.chance(0.3) });
  }
  const m = rng.next();
  return {
    actions,
    gaps: actions.map(() => rng.int(0, 300)),
    killDelayMs: rng.int(0, 1500),
    killMode: m < 0.15 ? "sigterm" : m < 0.55 ? "sigkill" : "sigkill-group",
  };
}

export const describeAction = (a: Action) =>
  a.kind === "toggle-extra"
    ? `toggle extra${a.noWait ? " --no-wait" : ""}`
    : a.kind === "edit-up"
      ? `edit ${a.app} + archy up`
      : a.kind === "update"
        ? `push a ${a.good ? "good" : "broken"} image + archy update ${UPDATED}${a.noWait ? " --no-wait" : ""}`
        : `${a.kind} ${a.app}${"noWait" in a && a.noWait ? " --no-wait" : ""}`;

export interface ActionOutcome {
  action: Action;
  /** What was actually run, with its exit code and output. */
  line: string;
  /** Apps whose container is expected to be new (edited, installed). */
  recreates: string[];
}

/** Whether the CLI printed the operation's first (transitional) answer for `id`. */
function acknowledgedIn(stdout: string, id: string): boolean {
  return stdout.split("\n").some((line) => {
    if (!line.startsWith("{")) return false;
    try {
      const j = JSON.parse(line) as { app?: { id?: string }; final?: boolean };
      return j.final === false && j.app?.id === id;
    } catch {
      return false; // not one of the JSON lines (a partial line cut by the kill)
    }
  });
}

/**
 * Carries out one action and records in the model what the owner was told.
 * Only apps whose presence is certain are targeted (an unknown app is usage).
 */
export async function perform(
  stack: ChaosStack,
  model: IntentModel,
  action: Action,
  round: number,
): Promise<ActionOutcome> {
  const cli = async (id: string, args: string[], intent: Intent) => {
    const r = await archyCli(stack, [...args, "--json"]);
    const ok = r.exitCode === 0 || acknowledgedIn(r.stdout, id);
    if (ok) model.acknowledged(id, intent);
    else model.unacknowledged(id, intent);
    return `archy ${args.join(" ")} -> ${r.exitCode}${ok ? " (acknowledged)" : ""}${r.exitCode !== 0 ? `: ${(r.stderr || r.stdout).trim().slice(0, 300)}` : ""}`;
  };
  const present = (id: string) => {
    const c = model.certain(id);
    return c === "running" || c === "stopped";
  };
  const skipped = (why: string): ActionOutcome => ({
    action,
    line: `skipped: ${why}`,
    recreates: [],
  });
  switch (action.kind) {
    case "start":
    case "stop":
    case "restart": {
      if (!present(action.app)) return skipped(`${action.app} is not certainly present`);
      const args = [action.kind, action.app, ...(action.noWait ? ["--no-wait"] : [])];
      const intent: Intent = action.kind === "stop" ? "stopped" : "running";
      return { action, line: await cli(action.app, args, intent), recreates: [] };
    }
    case "toggle-extra": {
      const id = EXTRA_APP.id;
      const now = model.certain(id);
      const wait = action.noWait ? ["--no-wait"] : [];
      if (now === "absent")
        return {
          action,
          line: await cli(id, ["install", stack.extraFile, ...wait], "running"),
          recreates: [id],
        };
      if (now === null) return skipped("extra's presence is uncertain");
      return { action, line: await cli(id, ["remove", id, ...wait], "absent"), recreates: [id] };
    }
    case "podman-kill":
    case "podman-stop": {
      const args =
        action.kind === "podman-kill"
          ? ["kill", `archy-${action.app}`]
          : ["stop", "--time", "1", `archy-${action.app}`];
      const r = await stack.store.podman(args, { reject: false, timeoutMs: 30_000 });
      return { action, line: `podman ${args.join(" ")} -> ${r.exitCode}`, recreates: [] };
    }
    case "update": {
      await stack.publish(action.good, round);
      const args = ["update", UPDATED, ...(action.noWait ? ["--no-wait"] : [])];
      // An update sets desired = running; a rollback exits 1 but was acknowledged.
      return { action, line: await cli(UPDATED, args, "running"), recreates: [UPDATED] };
    }
    case "edit-up": {
      await stack.edit(action.app, round);
      const r = await archyCli(stack, ["up", "--json"]);
      return {
        action,
        line: `edit ${action.app} EDIT=${round}; archy up -> ${r.exitCode}`,
        recreates: [action.app],
      };
    }
  }
}
