import type { Health, Op, Phase, StopReason } from "./types.js";

/** How a phase looks: a glyph beside the word (never colour alone) and a tone for the colour. */
export interface PhaseLook {
  /** A glyph shown next to the phase word (hidden from screen readers: the word says it). */
  icon: string;
  tone: "ok" | "busy" | "idle" | "warn" | "bad";
  /** An operation is under way: the row's buttons are disabled and a spinner turns. */
  transitional: boolean;
  /** One line for a tooltip and the legend. */
  meaning: string;
}

export const PHASES: Readonly<Record<Phase, PhaseLook>> = {
  running: { icon: "●", tone: "ok", transitional: false, meaning: "running (and healthy)" },
  starting: { icon: "◌", tone: "busy", transitional: true, meaning: "being started" },
  stopping: { icon: "◌", tone: "busy", transitional: true, meaning: "being stopped" },
  restarting: { icon: "◌", tone: "busy", transitional: true, meaning: "being restarted" },
  updating: {
    icon: "◌",
    tone: "busy",
    transitional: true,
    meaning: "a new image or manifest edit going through the gate",
  },
  installing: { icon: "◌", tone: "busy", transitional: true, meaning: "being installed" },
  removing: { icon: "◌", tone: "busy", transitional: true, meaning: "being removed" },
  stopped: { icon: "■", tone: "idle", transitional: false, meaning: "stopped" },
  exited: { icon: "✕", tone: "bad", transitional: false, meaning: "its container exited" },
  missing: { icon: "○", tone: "idle", transitional: false, meaning: "no container yet" },
  created: { icon: "○", tone: "warn", transitional: false, meaning: "created, never started" },
  paused: { icon: "‖", tone: "warn", transitional: false, meaning: "paused" },
  unhealthy: { icon: "!", tone: "bad", transitional: false, meaning: "its health check fails" },
  backoff: { icon: "↻", tone: "warn", transitional: false, meaning: "waiting to retry a start" },
  failed: { icon: "✕", tone: "bad", transitional: false, meaning: "could not be started" },
  unknown: {
    icon: "?",
    tone: "warn",
    transitional: false,
    meaning: "in a state archy cannot tell",
  },
};

/** A phase the page does not know (a newer daemon) looks like `unknown`, never breaks the row. */
export const phaseLook = (phase: string): PhaseLook =>
  (PHASES as Record<string, PhaseLook>)[phase] ?? PHASES.unknown;

export const isTransitional = (phase: string): boolean => phaseLook(phase).transitional;

/** The phase an operation publishes the moment it begins (the reconciler's Lifecycle). */
export const TRANSITIONAL_OF: Readonly<Record<Op, Phase>> = {
  start: "starting",
  stop: "stopping",
  restart: "restarting",
};

export const OPS: readonly Op[] = ["start", "stop", "restart"];

/** Whether an operation button is disabled: while one runs (transitional phase, or a request in flight). */
export const opDisabled = (phase: string, requestInFlight: boolean): boolean =>
  requestInFlight || isTransitional(phase);

export const HEALTH_LOOK: Readonly<
  Record<"healthy" | "unhealthy" | "starting" | "none", { icon: string; tone: PhaseLook["tone"] }>
> = {
  healthy: { icon: "✓", tone: "ok" },
  unhealthy: { icon: "!", tone: "bad" },
  starting: { icon: "…", tone: "busy" },
  none: { icon: "", tone: "idle" },
};

/** The health word shown: "-" when no check is declared or none ran yet. */
export const healthText = (health: Health): string => health ?? "-";

export const STOP_REASONS: Readonly<Record<StopReason, string>> = {
  user: "stopped by the owner",
  crash: "exited non-zero or was killed",
  oom: "killed by the kernel for memory (over its limit)",
  health: "failed its health check",
  dependency: "waits for a dependency",
  hook: "a pre-start hook failed",
  backoff: "backing off before the next start",
  removed: "exited and is not restarted (policy)",
};
