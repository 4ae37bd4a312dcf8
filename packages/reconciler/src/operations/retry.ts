import type { Core } from "../core.js";
import { errorText } from "../errors.js";
import { runPreStartHooks, type HookError } from "../pass/hooks.js";
import { skipOf } from "../pass/planner.js";
import { decideNow, observeOne, type OneAppParts } from "../pass/one-app.js";

/** What retrying one app uses. */
export type RetryParts = OneAppParts &
  Pick<Core, "queue" | "executor" | "log" | "bus" | "hookTimeoutMs" | "last">;

/**
 * An app's back-off ended: it is retried alone, on the back-off's own timer
 * (see BackoffLimiter), as a pass would retry it: its pre-start hooks, one
 * look at its container (its image as the last pass saw it), the planner's
 * decision (`decideNow`), the executor.
 * An operation begun meanwhile decides instead. When podman cannot be asked,
 * a full pass is requested: it reports why.
 */
export async function retryAlone(parts: RetryParts, id: string): Promise<void> {
  const { states } = parts;
  const app = parts.manifests.valid().find((a) => a.id === id);
  if (!app || states.busy(id)) return;
  const version = states.version(id);
  try {
    await parts.queue.run(id, async () => {
      if (states.version(id) !== version || states.busy(id)) return;
      const desired = await parts.desired.get(id);
      if (desired !== "running") return;
      if (app.hooks.preStart.length > 0) {
        const hookError = await runPreStartHooks(app, parts.hookTimeoutMs).then(
          () => null,
          (e: HookError) => e,
        );
        if (hookError) return void states.failed(app, "hook", hookError.message);
      }
      // The image as the last pass saw it, as a died event's start uses it.
      const imageId = parts.last.observed[id]?.imageId;
      const observed = await observeOne(parts, app, { hash: true, imageId });
      states.touch(id); // newer than what a pass in flight observed
      states.observed(app, observed, desired);
      const decision = await decideNow(parts, app, observed, desired);
      if (decision.kind !== "act") return states.settle(app, observed, desired, skipOf(decision));
      parts.log.info({ app: id }, `${id}: its back-off ended; retried alone`);
      const result = await parts.executor.run(app, decision.action, {
        imageId: observed.imageId ?? null,
      });
      states.touch(id); // a pass that observed while it ran saw it half done
      if (!result.ok)
        parts.log.warn({ app: id, error: result.error }, `${id}: ${decision.action.kind} failed`);
    });
  } catch (error) {
    parts.log.warn({ app: id, err: errorText(error) }, `${id}: retry failed; a full pass follows`);
    parts.bus.publish({
      type: "wake",
      reason: `${id}'s retry failed`,
      at: states.iso(),
    });
  }
}
