// `archy update APP`: pull the app's image; a new one goes live only through
// the gate (replace.ts), and is blocked when it fails it.
import type { Core } from "../core.js";
import { ReconcilerError } from "../errors.js";
import { restartDependents, type DependentsParts } from "./dependents.js";
import type { AppManifest } from "../manifest/index.js";
import { containerName } from "../manifest/spec.js";
import { updateTarget, withImage } from "./target.js";
import type { UpdateStrategy } from "../state/updates.js";
import {
  concludeFailure,
  concludeSuccess,
  replaceThroughGate,
  updateStrategy,
  type ReplaceParts,
} from "./replace.js";

export type UpdateParts = ReplaceParts &
  DependentsParts &
  Pick<Core, "updates" | "available" | "manifests" | "pullsRefused">;

export interface UpdateOptions {
  /**
   * `--to REF`: the image to move to (a reference, `:tag` or a digest; see
   * target.ts), tried even when blocked; the manifest names it once it passed.
   */
  to?: string;
}

/** The outcome the owner sees; a rollback throws instead (the operation's failure). */
export type UpdateResult =
  | { kind: "current"; imageId: string }
  | {
      kind: "updated";
      from: string | null;
      to: string;
      strategy: UpdateStrategy;
      /** `--to`: the image the manifest names now. */
      image?: string;
    };

/**
 * Pulls the app's image (or `opts.to`'s); when it changed (and is not
 * blocked), replaces the container through the gate. A failed gate has
 * rolled back: the new image is blocked and this throws with the reason and
 * the new container's last log lines.
 */
export async function applyUpdate(
  parts: UpdateParts,
  app: AppManifest,
  opts: UpdateOptions = {},
): Promise<UpdateResult> {
  const { runtime, clock, updates } = parts;
  const t0 = clock.now();
  if (app.container.build)
    throw new ReconcilerError("EUPDATE", `${app.id} is built here (build:): nothing to pull`, {
      app: app.id,
    });
  const ref =
    opts.to === undefined
      ? app.container.image
      : updateTarget(app.container.image, opts.to, app.id);
  const target = withImage(app, ref);
  const retarget = ref !== app.container.image;
  if (retarget && parts.manifests.dir === undefined)
    throw new ReconcilerError(
      "EUPDATE",
      `--to changes ${app.id}'s manifest, and this archy has no manifests folder`,
      { app: app.id },
    );
  if (parts.pullsRefused !== null)
    throw new ReconcilerError("EUPDATE", `not pulling ${ref}: ${parts.pullsRefused}`, {
      app: app.id,
    });
  const old = await runtime.getContainerStatus(containerName(app.id));
  const oldImageId = old?.imageId ?? (await runtime.imageId(app.container.image));
  // The pull moves the tag: journaled first, so a crash puts it back (recover.ts).
  const tag = { ref, imageId: retarget ? await runtime.imageId(ref) : oldImageId };
  await updates.step(app.id, {
    step: "pulled",
    change: "image",
    image: ref,
    strategy: updateStrategy(app).strategy,
    from: { container: old?.id ?? null, imageId: oldImageId },
    to: { imageId: "", digest: null, hash: null },
    at: new Date(t0).toISOString(),
    tag,
  });
  let newImageId: string | null;
  try {
    await runtime.pullImage(ref);
    newImageId = await runtime.imageId(ref);
  } catch (error) {
    await updates.drop(app.id); // a failed pull moved no tag
    throw error;
  }
  // The same image under another name is still a change: the manifest names it.
  if (newImageId === null || (newImageId === oldImageId && !retarget)) {
    await updates.drop(app.id);
    if (newImageId === null)
      throw new ReconcilerError("EUPDATE", `${ref} is absent after its pull`, { app: app.id });
    return { kind: "current", imageId: newImageId };
  }

  const digest = (await runtime.listImages()).find((i) => i.id === newImageId)?.digest ?? null;
  const shown = digest ?? newImageId.slice(0, 12);
  const block = (await updates.blocked(app.id)).find((b) => b.imageId === newImageId);
  if (block && opts.to !== undefined) {
    // Asked for by name: the owner's word outweighs the block.
    await updates.unblockImage(app.id, newImageId);
    parts.log.info({ app: app.id, image: ref }, `${app.id}: ${shown} unblocked by --to`);
  } else if (block) {
    if (tag.imageId) await runtime.tagImage(tag.imageId, ref);
    await updates.drop(app.id);
    throw new ReconcilerError(
      "EUPDATEBLOCKED",
      `${ref} (${shown}) is blocked: it failed its gate ${block.at} (${block.reason}); archy update unblock ${app.id}, or archy update ${app.id} --to ${ref}, lets it be tried again`,
      { app: app.id },
    );
  }

  const manifest = retarget ? { file: app.file, from: app.container.image, to: ref } : undefined;
  const { verdict, journal } = await replaceThroughGate(
    parts,
    target,
    {
      change: "image",
      imageId: newImageId,
      digest,
      hash: null,
      what: `update to ${retarget ? `${ref} ` : ""}${shown}`,
      tag,
      ...(manifest ? { manifest } : {}),
    },
    t0,
  );
  if (verdict.restarted) await restartDependents(parts, app.id);
  if (verdict.passed) {
    if (manifest) await parts.manifests.setImage(manifest);
    await concludeSuccess(parts, app.id, journal);
    parts.available.delete(app.id);
    parts.states.progress(app.id, "running", "owner");
    parts.log.info({ app: app.id, image: ref, digest }, `${app.id}: updated to ${ref} (${shown})`);
    return {
      kind: "updated",
      from: oldImageId,
      to: newImageId,
      strategy: journal.strategy,
      ...(manifest ? { image: ref } : {}),
    };
  }
  await concludeFailure(parts, app.id, journal, verdict.reason);
  parts.available.delete(app.id); // blocked now: nothing newer to offer
  const tail = verdict.logs.length > 0 ? `\nits last log lines:\n${verdict.logs.join("\n")}` : "";
  throw new ReconcilerError(
    "EROLLEDBACK",
    `rolled back: the new image failed its gate: ${verdict.reason}; the old one runs again and ${shown} is blocked${tail}`,
    { app: app.id },
  );
}
