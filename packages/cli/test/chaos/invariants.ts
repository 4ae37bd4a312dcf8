// The invariants checked after every round, each returning the problems it
// sees with their evidence. The round polls them until none remains or its
// deadline passes; what is left then is a violation.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { snapshotStateStore, type SnapshotState } from "@archy/reconciler";
import { createSnapshotStore } from "@archy/snapshot";
import { archyCli } from "./daemon.js";
import type { Intent, IntentModel } from "./model.js";
import { appDef, type ChaosStack } from "./stack.js";

export interface Problem {
  invariant:
    | "intents"
    | "state-files"
    | "running-set"
    | "containers"
    | "temp-files"
    | "converged"
    | "recovery";
  evidence: string;
}

export interface PodmanContainer {
  id: string;
  name: string;
  state: string;
  app: string | null;
}

/** Every container of the store, also those only in storage (`--external`: left half-created). */
export async function podmanContainers(stack: ChaosStack): Promise<PodmanContainer[]> {
  const r = await stack.store.podman(["ps", "--all", "--external", "--format", "json"], {
    timeoutMs: 30_000,
  });
  const rows = JSON.parse(r.stdout || "[]") as {
    Id: string;
    Names: string[] | null;
    State: string;
    Labels: Record<string, string> | null;
  }[];
  return rows.map((c) => ({
    id: c.Id,
    name: c.Names?.[0] ?? "",
    state: String(c.State).toLowerCase(),
    app: c.Labels?.["io.archy.app"] ?? null,
  }));
}

interface AppJson {
  id: string;
  desired: "running" | "stopped";
  phase: string;
  health: string | null;
  stopReason: string | null;
  container: { id: string; state: string } | null;
}

/** The state files load (never torn); returns the snapshot's running container ids. */
export async function checkStateFiles(
  stack: ChaosStack,
): Promise<{ problems: Problem[]; snapshot: SnapshotState | null }> {
  const problems: Problem[] = [];
  let snapshot: SnapshotState | null = null;
  try {
    snapshot =
      (await snapshotStateStore(join(stack.stateDir, "snapshot.json")).load())?.data ?? null;
  } catch (error) {
    problems.push({
      invariant: "state-files",
      evidence: `snapshot.json does not load: ${String(error)}`,
    });
  }
  try {
    await createSnapshotStore<unknown>({
      path: join(stack.stateDir, "desired.json"),
      version: 1,
    }).load();
  } catch (error) {
    problems.push({
      invariant: "state-files",
      evidence: `desired.json does not load: ${String(error)}`,
    });
  }
  return { problems, snapshot };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** Temporary files (`.<file>.<pid>.<hex>.tmp`) left by writers that are dead. */
export async function deadTempFiles(stack: ChaosStack): Promise<string[]> {
  const out: string[] = [];
  for (const dir of [stack.stateDir, stack.manifestsDir]) {
    for (const f of await readdir(dir).catch(() => [] as string[])) {
      const m = /\.(\d+)\.[0-9a-f]+\.tmp$/.exec(f);
      if (f.endsWith(".tmp") && (!m || !isAlive(Number(m[1])))) out.push(join(dir, f));
    }
  }
  return out;
}

/** Apps that should run: desired running, every dependency too (transitively), not the crash-looper. */
function mustRun(id: string, desired: (id: string) => Intent | null): boolean {
  const def = appDef(id);
  if (def.crashLoops || desired(id) !== "running") return false;
  return def.dependsOn.every((d) => mustRun(d, desired));
}

export interface ConvergeCheck {
  problems: Problem[];
  /** The app containers podman has now, by app id. */
  containers: Map<string, PodmanContainer>;
  /** The daemon's desired state of every app the model knows. */
  desired: Map<string, Intent>;
}

/** One look at the daemon, podman and the state folder: what is not (yet) as it must be. */
export async function checkConverged(
  stack: ChaosStack,
  model: IntentModel,
): Promise<ConvergeCheck> {
  const problems: Problem[] = [];
  const ps = await archyCli(stack, ["ps", "--json"], 30_000);
  if (ps.exitCode !== 0) {
    problems.push({
      invariant: "converged",
      evidence: `archy ps exited ${ps.exitCode}: ${ps.stderr}`,
    });
    return { problems, containers: new Map(), desired: new Map() };
  }
  const apps = new Map((JSON.parse(ps.stdout) as { apps: AppJson[] }).apps.map((a) => [a.id, a]));
  const all = await podmanContainers(stack);

  // Intents: what the daemon wants is what the owner was told (or one of two when unacknowledged).
  for (const id of model.ids()) {
    const actual: Intent = apps.get(id)?.desired ?? "absent";
    const possible = model.possibleOf(id);
    if (!possible.has(actual))
      problems.push({
        invariant: "intents",
        evidence: `${id}: the daemon's desired state is ${actual}, the owner was told ${[...possible].join(" or ")}`,
      });
  }
  for (const id of apps.keys())
    if (!model.ids().includes(id))
      problems.push({ invariant: "intents", evidence: `${id}: an app nobody installed` });

  // Containers: at most one per app, none named archy-* without archy's labels.
  const byApp = new Map<string, PodmanContainer>();
  for (const c of all) {
    if (c.app !== null) {
      const other = byApp.get(c.app);
      if (other)
        problems.push({
          invariant: "containers",
          evidence: `two containers of ${c.app}: ${other.name} ${other.id.slice(0, 12)} and ${c.name} ${c.id.slice(0, 12)}`,
        });
      byApp.set(c.app, c);
    } else if (c.name.startsWith("archy-"))
      problems.push({
        invariant: "containers",
        evidence: `${c.name} ${c.id.slice(0, 12)} (state ${c.state}) has no archy label`,
      });
  }

  // Every desired-running app runs (healthy where checked); every desired-stopped app is stopped by the user.
  const desired = (id: string) => {
    const a = apps.get(id);
    return a ? a.desired : "absent";
  };
  for (const [id, a] of apps) {
    const c = byApp.get(id);
    const show = `phase ${a.phase}, health ${a.health ?? "-"}, stop reason ${a.stopReason ?? "-"}, podman ${c ? `${c.state} ${c.id.slice(0, 12)}` : "no container"}`;
    if (mustRun(id, desired)) {
      const healthy = appDef(id).check === null || a.health === "healthy";
      if (a.phase !== "running" || !healthy || c?.state !== "running" || c.name !== `archy-${id}`)
        problems.push({ invariant: "converged", evidence: `${id} is desired running but ${show}` });
    } else if (a.desired === "stopped") {
      if (a.phase !== "stopped" || a.stopReason !== "user" || c?.state === "running")
        problems.push({ invariant: "converged", evidence: `${id} is desired stopped but ${show}` });
    }
  }

  // The snapshot has caught up with the running set (so the next round can rely on it).
  const { problems: files, snapshot } = await checkStateFiles(stack);
  problems.push(...files);
  const running = (ids: Iterable<string>) => [...ids].sort().join(",");
  const podmanRunning = [...byApp.values()]
    .filter((c) => c.state === "running" && !appDef(c.app!).crashLoops)
    .map((c) => c.id);
  const snapRunning = (snapshot?.containers ?? [])
    .filter((c) => c.state === "running" && c.app !== null && !appDef(c.app).crashLoops)
    .map((c) => c.id);
  if (running(podmanRunning) !== running(snapRunning))
    problems.push({
      invariant: "running-set",
      evidence: `the snapshot's running set [${running(snapRunning.map((i) => i.slice(0, 12)))}] is not podman's [${running(podmanRunning.map((i) => i.slice(0, 12)))}]`,
    });

  // A killed writer leaves its temporary file until the next write of that file sweeps it:
  // more than one per file means they accumulate.
  const temps = await deadTempFiles(stack);
  const perTarget = new Map<string, number>();
  for (const t of temps) {
    const target = t.replace(/\.\d+\.[0-9a-f]+\.tmp$/, "");
    perTarget.set(target, (perTarget.get(target) ?? 0) + 1);
  }
  if ([...perTarget.values()].some((n) => n > 1))
    problems.push({
      invariant: "temp-files",
      evidence: `left by dead writers: ${temps.join(", ")}`,
    });

  const desiredNow = new Map(
    model.ids().map((id) => [id, apps.get(id)?.desired ?? "absent"] as const),
  );
  if (problems.every((p) => p.invariant !== "intents"))
    for (const [id, actual] of desiredNow) model.settle(id, actual);
  return { problems, containers: byApp, desired: desiredNow };
}
