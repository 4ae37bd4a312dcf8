// The gate (SPEC section 4): an app's container is replaced by one of a new
// image or a new configuration only when the new one proves itself; until
// then the old one is kept (renamed `archy-<id>.prev`), and it comes back
// when the new one fails. Shared by `archy update` (apply.ts) and manifest
// edits (edit.ts); each step is journaled before it acts (recover.ts).
import { sleep } from "@archy/runtime-podman";
import type { Core } from "../core.js";
import { errorText } from "../errors.js";
import type { AppManifest } from "../manifest/index.js";
import { containerName, redactText } from "../manifest/spec.js";
import { movedTag, type UpdateJournal, type UpdateStrategy } from "../state/updates.js";

/** What a replacement uses of the core. */
export type ReplaceParts = Pick<
  Core,
  "runtime" | "clock" | "executor" | "health" | "states" | "log" | "updates"
>;

/** The name the old container is kept under while the new one is judged ('.' is in no app id). */
export const keptName = (id: string) => `${containerName(id)}.prev`;

/** How an app is replaced, and why. */
export function updateStrategy(app: AppManifest): { strategy: UpdateStrategy; why: string } {
  const c = app.container;
  if (c.ports.length > 0)
    return {
      strategy: "stop-first",
      why: `it publishes host port ${c.ports.map((p) => p.hostPort).join(", ")}: two containers cannot hold it`,
    };
  const held = c.volumes.filter((v) => !v.readOnly);
  if (held.length > 0)
    return {
      strategy: "stop-first",
      why: `it writes to ${held.map((v) => v.source).join(", ")}: two versions must not share it`,
    };
  return { strategy: "start-first", why: "no host port, no volume written: no downtime" };
}

/** What the new container is: its image, the digest it was pulled by, the config hash wanted. */
export interface Change {
  change: UpdateJournal["change"];
  imageId: string;
  digest: string | null;
  hash: string | null;
  /** What the new container is, in words (for the executor's log). */
  what: string;
  /** The tag a pull moved, when it is not the app's own (see UpdateJournal). */
  tag?: UpdateJournal["tag"];
  /** The manifest edit that follows a passed gate (`archy update --to`). */
  manifest?: UpdateJournal["manifest"];
}

/**
 * The verdict: passed, or why not and the new container's last log lines.
 * `restarted`: the app's container is not the run it was before (a new one,
 * or the old one started again): its dependents restart (dependents.ts).
 */
export type Verdict = ({ passed: true } | { passed: false; reason: string; logs: string[] }) & {
  restarted: boolean;
};

/**
 * Replaces the app's container through the gate (`update.gate` within
 * `update.timeout` from `t0`); a failure is rolled back before this returns.
 * The outcome is recorded by the caller (`concludeSuccess`/`concludeFailure`).
 */
export async function replaceThroughGate(
  parts: ReplaceParts,
  app: AppManifest,
  to: Change,
  t0: number,
): Promise<{ verdict: Verdict; journal: UpdateJournal }> {
  const { runtime, clock, updates } = parts;
  const name = containerName(app.id);
  const old = await runtime.getContainerStatus(name);
  const { strategy } = updateStrategy(app);
  const journal: UpdateJournal = {
    step: "replacing",
    change: to.change,
    image: app.container.image,
    strategy,
    from: { container: old?.id ?? null, imageId: old?.imageId ?? null },
    to: { imageId: to.imageId, digest: to.digest, hash: to.hash },
    at: new Date(clock.now()).toISOString(),
    ...(to.tag ? { tag: to.tag } : {}),
    ...(to.manifest ? { manifest: to.manifest } : {}),
  };
  await updates.step(app.id, journal);
  let reason: string | null;
  try {
    if (old) {
      if (strategy === "stop-first" && old.state === "running")
        await runtime.stopContainer(name, {
          timeoutSeconds: Math.ceil(app.container.stopTimeoutMs / 1000),
        });
      await runtime.renameContainer(name, keptName(app.id));
    }
    await parts.executor.carryOut(
      app,
      { app: app.id, kind: "create", container: name, reason: to.what },
      // As a pass's step: the operation's phase stays until the gate's verdict.
      { by: "pass", imageId: to.imageId },
    );
    reason = await gate(parts, app, t0);
  } catch (error) {
    reason = redactText(errorText(error), app.container.env);
  }
  if (reason === null) {
    await updates.step(app.id, { ...journal, step: "gate-passed" });
    await finishKept(parts, app.id);
    const oldImage = journal.from.imageId;
    if (oldImage && oldImage !== to.imageId) await runtime.removeImage(oldImage).catch(() => false);
    return { verdict: { passed: true, restarted: true }, journal };
  }
  const failed = { ...journal, step: "rolling-back" as const, reason };
  await updates.step(app.id, failed);
  const logs = await runtime.getContainerLogs(name, { tail: 20 }).catch(() => [] as string[]);
  await rollBack(parts, app.id, failed);
  const back = await runtime.getContainerStatus(name);
  return {
    verdict: {
      passed: false,
      reason,
      logs: logs.map((l) => redactText(l, app.container.env)),
      restarted: back?.id !== old?.id || back?.startedAt !== old?.startedAt,
    },
    journal: failed,
  };
}

/**
 * The gate after the new container started (ready, as a start is judged):
 * still running, the same run, not unhealthy, for `update.gate`; the whole
 * replacement within `update.timeout`. Null when it passed, else why not.
 */
async function gate(parts: ReplaceParts, app: AppManifest, t0: number): Promise<string | null> {
  const { runtime, clock } = parts;
  const name = containerName(app.id);
  const first = await runtime.getContainerStatus(name);
  if (!first || first.state !== "running") return `${name} is not running`;
  const passAt = clock.now() + app.update.gateMs;
  if (passAt > t0 + app.update.timeoutMs)
    return `update.timeout (${app.update.timeoutMs} ms) ran out before the gate could end`;
  while (clock.now() < passAt) {
    await sleep(clock, Math.min(1_000, passAt - clock.now()));
    const now = await runtime.getContainerStatus(name);
    const seconds = ((clock.now() - (passAt - app.update.gateMs)) / 1000).toFixed(1);
    if (!now || now.state !== "running")
      return `${name} ${now ? `exited${now.exitCode !== null ? ` (code ${now.exitCode})` : ""}` : "disappeared"} ${seconds} s into the gate`;
    if (now.startedAt !== first.startedAt) return `${name} restarted ${seconds} s into the gate`;
    if (app.container.healthcheck && (await parts.health.check(app, now)) === "unhealthy")
      return `${name} turned unhealthy ${seconds} s into the gate`;
  }
  return null;
}

/** The new container goes, the old one comes back under its name and runs, the tag points at its image. */
export async function rollBack(
  parts: Pick<ReplaceParts, "runtime" | "states">,
  id: string,
  journal: UpdateJournal,
): Promise<void> {
  const { runtime } = parts;
  const name = containerName(id);
  const current = await runtime.getContainerStatus(name);
  const kept = await runtime.getContainerStatus(keptName(id));
  if (current && current.id !== journal.from.container)
    await runtime.removeContainer(name, { force: true });
  if (kept) await runtime.renameContainer(keptName(id), name);
  const tag = movedTag(journal);
  if (tag.imageId && tag.imageId !== journal.to.imageId)
    await runtime.tagImage(tag.imageId, tag.ref);
  const back = await runtime.getContainerStatus(name);
  if (back && back.state !== "running") await runtime.startContainer(name);
  parts.states.setContainer(id, await runtime.getContainerStatus(name));
}

/** The old container, kept while the new one was judged, goes. */
export async function finishKept(parts: Pick<ReplaceParts, "runtime">, id: string): Promise<void> {
  const kept = await parts.runtime.getContainerStatus(keptName(id));
  if (kept) await parts.runtime.removeContainer(keptName(id), { force: true });
}

/** Records a replacement that passed: the journal goes, the outcome stays, an edit's rejection is cleared. */
export async function concludeSuccess(
  parts: Pick<ReplaceParts, "updates" | "clock">,
  id: string,
  journal: UpdateJournal,
): Promise<void> {
  const at = new Date(parts.clock.now()).toISOString();
  if (journal.change === "edit") await parts.updates.setRejection(id, null);
  await parts.updates.finish(id, {
    kind: "updated",
    from: journal.from.imageId,
    to: journal.to.imageId,
    at,
  });
}

/** Records a replacement that failed: a new image is blocked; an edit is not tried again until the manifest changes. */
export async function concludeFailure(
  parts: Pick<ReplaceParts, "updates" | "clock">,
  id: string,
  journal: UpdateJournal,
  reason: string,
): Promise<void> {
  const at = new Date(parts.clock.now()).toISOString();
  const outcome = { kind: "rolled-back" as const, reason, imageId: journal.to.imageId, at };
  if (journal.change === "edit" && journal.to.hash) {
    await parts.updates.setRejection(id, { hash: journal.to.hash, reason, at });
    await parts.updates.finish(id, outcome);
  } else
    await parts.updates.finish(id, outcome, {
      imageId: journal.to.imageId,
      digest: journal.to.digest,
      reason,
      at,
    });
}
