// An update a crash cut (the daemon killed, the host's power lost) is
// finished or undone from its journal before anything else acts on the app:
// afterwards the app has exactly one container, of the old version or the
// new one, never none and never two. Every step here is idempotent: a crash
// during recovery is recovered the same way next time.
import type { Core } from "../core.js";
import { containerName } from "../manifest/spec.js";
import { movedTag } from "../state/updates.js";
import {
  concludeFailure,
  concludeSuccess,
  finishKept,
  keptName,
  rollBack,
  type ReplaceParts,
} from "./replace.js";

export async function recoverUpdates(
  parts: Pick<ReplaceParts, "runtime" | "states" | "updates" | "log" | "clock"> &
    Pick<Core, "manifests">,
): Promise<void> {
  const { runtime, updates, log } = parts;
  for (const [id, journal] of Object.entries(await updates.journals())) {
    switch (journal.step) {
      case "pulled": {
        // Nothing changed but the tag: it points at the old image again.
        const tag = movedTag(journal);
        if (tag.imageId) await runtime.tagImage(tag.imageId, tag.ref);
        await updates.drop(id);
        log.warn({ app: id }, `${id}: an update cut before it replaced anything was undone`);
        break;
      }
      case "gate-passed":
        if (journal.manifest) await parts.manifests.setImage(journal.manifest);
        await finishKept(parts, id);
        await concludeSuccess(parts, id, journal);
        log.warn({ app: id }, `${id}: an update cut after its gate passed was finished`);
        break;
      case "replacing":
      case "rolling-back": {
        const judged = journal.step === "rolling-back";
        // No old container to go back to (the app had none): the new one stays, one container.
        const kept = await runtime.getContainerStatus(keptName(id));
        if (kept || journal.from.container !== null) await rollBack(parts, id, journal);
        const reason = journal.reason ?? "interrupted before its gate ended";
        if (judged) await concludeFailure(parts, id, journal, reason);
        else await updates.drop(id);
        log.warn(
          { app: id, container: containerName(id) },
          `${id}: an update cut ${judged ? "while rolling back" : "before its gate ended"} was undone: the old container runs again`,
        );
        break;
      }
    }
  }
}
