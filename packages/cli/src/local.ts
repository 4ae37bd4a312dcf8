import type { ContainerRuntime } from "@archy/runtime-podman";
import { Reconciler } from "@archy/reconciler/reconciler";
import type { Context } from "./context.js";

/** The reconciler the CLI runs itself when no daemon answers. */
export function localReconciler(
  ctx: Context,
  runtime: ContainerRuntime = ctx.runtime(),
): Reconciler {
  return new Reconciler({ runtime, manifestsDir: ctx.manifestsDir, stateDir: ctx.stateDir });
}
