// `archy update APP`: a new image goes live only through the gate, and the
// old container comes back when it fails. Each step is journaled before it
// acts (state/updates.ts); recover.ts finishes or undoes one a crash cut.
import { sleep, type ContainerStatus } from "@archy/runtime-podman";
import type { Core } from "../core.js";
import { errorText, ReconcilerError } from "../errors.js";
import type { AppManifest } from "../manifest/index.js";
import { containerName, redactText } from "../manifest/spec.js";
import type { UpdateJournal, UpdateStrategy } from "../state/updates.js";

/** What an update uses of the core. */
export type UpdateParts = Pick<
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

/** The outcome the owner sees; a rollback throws instead (the operation's failure). */
export type UpdateResult =
  | { kind: "current"; imageId: string }
  | { kind: "updated"; from: string | null; to: string; strategy: UpdateStrategy };

/**
 * Pulls the app's image; when it changed, replaces the container through the
 * gate: running, healthy when checked, not restarted, for `update.gate`,
 * within `update.timeout`. A failed gate removes the new container, puts the
 * old one back (a rename and, stop-first, a start), points the tag at the old
 * image again, blocks the new one and throws with the reason and the new
 * container's last log lines.
 */
export async function applyUpdate(parts: UpdateParts, app: AppManifest): Promise<UpdateResult> {
  const { runtime, clock, updates } = parts;
  const t0 = clock.now();
  const ref = app.container.image;
  const name = containerName(app.id);
  if (app.container.build)
    throw new ReconcilerError("EUPDATE", `${app.id} is built here (build:): nothing to pull`, {
      app: app.id,
    });
  const old = await runtime.getContainerStatus(name);
  const oldImageId = old?.imageId ?? (await runtime.imageId(ref));
  await runtime.pullImage(ref);
  const newImageId = await runtime.imageId(ref);
  if (newImageId === null)
    throw new ReconcilerError("EUPDATE", `${ref} is absent after its pull`, { app: app.id });
  if (newImageId === oldImageId) return { kind: "current", imageId: newImageId };

  const digest = (await runtime.listImages()).find((i) => i.id === newImageId)?.digest ?? null;
  const block = (await updates.blocked(app.id)).find((b) => b.imageId === newImageId);
  if (block) {
    if (oldImageId) await runtime.tagImage(oldImageId, ref);
    throw new ReconcilerError(
      "EUPDATEBLOCKED",
      `${ref} (${digest ?? newImageId.slice(0, 12)}) is blocked: it failed its gate ${block.at} (${block.reason}); archy update unblock ${app.id} lets it be tried again`,
      { app: app.id },
    );
  }

  const { strategy } = updateStrategy(app);
  const journal: UpdateJournal = {
    step: "pulled",
    image: ref,
    strategy,
    from: { container: old?.id ?? null, imageId: oldImageId },
    to: { imageId: newImageId, digest },
    at: new Date(clock.now()).toISOString(),
  };
  await updates.step(app.id, journal);

  let reason: string | null = null;
  await updates.step(app.id, { ...journal, step: "replacing" });
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
      {
        app: app.id,
        kind: "create",
        container: name,
        reason: `update to ${digest ?? newImageId.slice(0, 12)}`,
      },
      // As a pass's step: the phase stays `updating` until the gate's verdict.
      { by: "pass", imageId: newImageId },
    );
    reason = await gate(parts, app, t0);
  } catch (error) {
    reason = redactText(errorText(error), app.container.env);
  }

  if (reason === null) {
    await updates.step(app.id, { ...journal, step: "gate-passed" });
    await finishKept(parts, app.id);
    if (oldImageId) await runtime.removeImage(oldImageId).catch(() => false);
    await updates.finish(app.id, {
      kind: "updated",
      from: oldImageId,
      to: newImageId,
      at: new Date(clock.now()).toISOString(),
    });
    parts.states.progress(app.id, "running", "owner");
    parts.log.info({ app: app.id, image: ref, digest, strategy }, `${app.id}: updated to ${ref}`);
    return { kind: "updated", from: oldImageId, to: newImageId, strategy };
  }

  await updates.step(app.id, { ...journal, step: "rolling-back", reason });
  const logs = await runtime.getContainerLogs(name, { tail: 20 }).catch(() => [] as string[]);
  await rollBack(parts, app.id, journal);
  await updates.finish(
    app.id,
    { kind: "rolled-back", reason, imageId: newImageId, at: new Date(clock.now()).toISOString() },
    { imageId: newImageId, digest, reason, at: new Date(clock.now()).toISOString() },
  );
  const tail = logs.length > 0 ? `\nits last log lines:\n${logs.join("\n")}` : "";
  throw new ReconcilerError(
    "EROLLEDBACK",
    `rolled back: the new image failed its gate: ${reason}; the old one runs again and ${digest ?? newImageId.slice(0, 12)} is blocked${redactText(tail, app.container.env)}`,
    { app: app.id },
  );
}

/**
 * The gate after the new container started (ready, as a start is judged):
 * still running, the same run, not unhealthy, for `update.gate`; the whole
 * update within `update.timeout`. Null when it passed, else why not.
 */
async function gate(parts: UpdateParts, app: AppManifest, t0: number): Promise<string | null> {
  const { runtime, clock } = parts;
  const name = containerName(app.id);
  const first = await runtime.getContainerStatus(name);
  if (!first || first.state !== "running") return `${name} is not running`;
  const passAt = clock.now() + app.update.gateMs;
  const deadline = t0 + app.update.timeoutMs;
  if (passAt > deadline)
    return `the update timed out: the gate of ${app.update.gateMs} ms would end past update.timeout`;
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

/** The new container goes, the old one comes back under its name, the tag points at its image. */
export async function rollBack(
  parts: Pick<UpdateParts, "runtime" | "states">,
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
  if (journal.from.imageId) await runtime.tagImage(journal.from.imageId, journal.image);
  const back: ContainerStatus | null = await runtime.getContainerStatus(name);
  if (back && back.state !== "running") await runtime.startContainer(name);
  parts.states.setContainer(id, await runtime.getContainerStatus(name));
}

/** The old container, kept while the new one was judged, goes. */
export async function finishKept(parts: Pick<UpdateParts, "runtime">, id: string): Promise<void> {
  const kept = await parts.runtime.getContainerStatus(keptName(id));
  if (kept) await parts.runtime.removeContainer(keptName(id), { force: true });
}
