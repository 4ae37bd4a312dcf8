import type { ContainerStatus, HealthStatus } from "@archy/runtime-podman";
import type { Desired, Phase, PlanSkip, StopReason } from "../types.js";
import type { AppState, PhaseActor } from "./app-state.js";

/** What settling an app looks at. */
export interface SettleInput {
  /** archy's own container of the app as observed; null when there is none. */
  container: ContainerStatus | null;
  health: HealthStatus;
  desired: Desired;
  /** The planner's skip, or null when it found the app converged. */
  skip: PlanSkip | null;
  by: PhaseActor;
  current: Pick<AppState, "phase" | "lastError">;
  backingOff: boolean;
}

/** The phase it settles in, and what it clears. */
export interface Settled {
  phase: Phase;
  stopReason: StopReason | null;
  /** The error to record with it (a failure the planner found). */
  error?: string;
  clearHealth?: boolean;
  clearError?: boolean;
}

/**
 * The phase a decision without an action implies, from what was observed:
 * the one place a phase is derived (AppStates.settle applies it).
 */
export function settledPhase(input: SettleInput): Settled {
  const { container: c, skip, current, backingOff, by } = input;
  if (skip?.failure) return { phase: "failed", stopReason: null, error: skip.reason };
  const skipReason = skip?.stopReason ?? null;
  if (input.desired === "stopped" && c?.state !== "running" && c?.state !== "paused")
    return { phase: "stopped", stopReason: "user", clearHealth: true };
  if (!c) {
    if (skipReason === "dependency") return { phase: "missing", stopReason: "dependency" };
    return backingOff
      ? { phase: "backoff", stopReason: "backoff" }
      : { phase: current.phase === "failed" ? "failed" : "missing", stopReason: "removed" };
  }
  switch (c.state) {
    case "running":
      // An owner's start of a running app succeeds as it is (its health is the monitor's
      // to report); a pass clears an error once it runs again.
      if (input.health === "unhealthy" && by === "pass")
        return { phase: "unhealthy", stopReason: "health" };
      return {
        phase: "running",
        stopReason: null,
        clearError:
          by === "owner" ||
          (Boolean(current.lastError) &&
            (current.phase === "running" || current.phase === "failed")),
      };
    case "exited":
      // Killed for memory: said so, in back-off too. Else the planner's reason when it has one.
      if (c.oomKilled) return { phase: backingOff ? "backoff" : "exited", stopReason: "oom" };
      if (backingOff) return { phase: "backoff", stopReason: skipReason ?? "backoff" };
      return { phase: "exited", stopReason: skipReason ?? "crash" };
    case "created":
    case "paused":
    case "unknown":
      return { phase: c.state, stopReason: skipReason ?? "crash" };
    default:
      return { phase: c.state === "stopping" ? "stopping" : "removing", stopReason: null };
  }
}
