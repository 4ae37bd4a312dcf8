// A manifest edit of a running app goes live through the same gate as a new
// image: a broken edit leaves the old container running, and the app is not
// tried again with it until the manifest changes (the planner's skip).
import type { Core } from "../core.js";
import type { AppManifest } from "../manifest/index.js";
import { errorCode, errorText } from "../errors.js";
import { pendingResult } from "../pass/execute.js";
import type { ActionResult, PlannedAction } from "../types.js";
import { restartDependents } from "./dependents.js";
import { concludeFailure, concludeSuccess, replaceThroughGate } from "./replace.js";

/** Carries out a pass's gated recreate (the app shows `updating` meanwhile); never throws. */
export async function applyEdit(
  core: Core,
  app: AppManifest,
  action: PlannedAction,
  imageId: string,
  hash: string | null,
): Promise<ActionResult> {
  const t0 = core.clock.now();
  const result = pendingResult(action);
  core.log.info(
    { app: app.id, action: "recreate", reason: action.reason },
    `${app.id}: recreate through the gate (${action.reason})`,
  );
  core.states.begin(app.id, "updating");
  let failure: { error: string; code?: string } | undefined;
  try {
    const { verdict, journal } = await replaceThroughGate(
      core,
      app,
      { change: "edit", imageId, digest: null, hash, what: action.reason },
      t0,
    );
    if (verdict.restarted) await restartDependents(core, app.id);
    if (verdict.passed) {
      await concludeSuccess(core, app.id, journal);
      core.states.progress(app.id, "running", "owner");
      result.ok = true;
    } else {
      await concludeFailure(core, app.id, journal, verdict.reason);
      const tail =
        verdict.logs.length > 0 ? `\nits last log lines:\n${verdict.logs.join("\n")}` : "";
      failure = {
        error: `rolled back: the edited manifest's container failed its gate: ${verdict.reason}; the old one runs until the manifest changes again${tail}`,
        code: "EROLLEDBACK",
      };
    }
  } catch (error) {
    const code = errorCode(error);
    failure = { error: errorText(error), ...(code ? { code } : {}) };
  } finally {
    core.states.end(app.id, failure);
  }
  if (failure) {
    result.error = failure.error;
    core.log.warn({ app: app.id, error: failure.error }, `${app.id}: the edit was rolled back`);
  }
  result.durationMs = core.clock.now() - t0;
  return result;
}
