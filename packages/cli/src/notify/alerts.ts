// What the owner is told: problems that open and resolve, one message each,
// from the reconciler's events and passes. A problem opens at once; it is
// resolved only once its cause stayed away for `settleMs`, so a crash loop
// (backoff, a few seconds running, backoff again) is one incident however
// many restarts it has, and a flapping check does not page twice. Notes
// (`info`) have no resolution: a recovery's summary, an update.
import type { Clock } from "@archy/runtime-podman";
import type { ReconcileReport, ReconcilerEvent } from "@archy/reconciler/api";

export type Problem =
  | "crash-loop"
  | "unhealthy"
  | "failed"
  | "oom"
  | "manifest-invalid"
  | "podman-unreachable"
  | "low-disk"
  | "recovered"
  | "update-available"
  | "updated"
  | "rolled-back"
  | "test";

/** One message, as every target gets it (a webhook's JSON body, a command's stdin). */
export interface Notice {
  /** Unique per message: the problem's key and when it changed. */
  id: string;
  /** The problem this is about (`crash-loop:web`): an open and its resolution share it. */
  key: string;
  app: string | null;
  problem: Problem;
  state: "open" | "resolved" | "info";
  at: string;
  summary: string;
}

/** The problems an app can have: all resolved once it runs (or the owner stopped it). */
const APP_PROBLEMS: readonly Problem[] = ["crash-loop", "unhealthy", "failed", "oom"];

export class Alerts {
  private readonly open = new Map<string, { notice: Notice; resolving: unknown }>();
  private manifestFiles = new Set<string>();
  private lowPaths = new Set<string>();
  /** When each note (key and words) was last told. */
  private readonly noted = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly settleMs: number,
    private readonly emit: (notice: Notice) => void,
  ) {}

  private notice(
    key: string,
    app: string | null,
    problem: Problem,
    state: Notice["state"],
    summary: string,
  ): Notice {
    const at = new Date(this.clock.now()).toISOString();
    return { id: `${key}@${at}:${state}`, key, app, problem, state, at, summary };
  }

  /** A problem starts: told at once, unless it is already open (a return within the settle window is the same one). */
  raise(key: string, app: string | null, problem: Problem, summary: string): void {
    const known = this.open.get(key);
    if (known) {
      if (known.resolving !== null) this.clock.clearTimeout(known.resolving);
      known.resolving = null;
      return;
    }
    const notice = this.notice(key, app, problem, "open", summary);
    this.open.set(key, { notice, resolving: null });
    this.emit(notice);
  }

  /** Its cause went away: resolved once it stays away for the settle window. */
  clear(key: string, summary: string): void {
    const known = this.open.get(key);
    if (!known || known.resolving !== null) return;
    known.resolving = this.clock.setTimeout(() => {
      this.open.delete(key);
      const { app, problem } = known.notice;
      this.emit(this.notice(key, app, problem, "resolved", summary));
    }, this.settleMs);
  }

  /** A note: told once, nothing to resolve; the same note again within the settle window is not told again. */
  note(key: string, app: string | null, problem: Problem, summary: string): void {
    const now = this.clock.now();
    const last = this.noted.get(`${key}\n${summary}`);
    if (last !== undefined && now - last < this.settleMs) return;
    for (const [k, at] of this.noted) if (now - at >= this.settleMs) this.noted.delete(k);
    this.noted.set(`${key}\n${summary}`, now);
    this.emit(this.notice(key, app, problem, "info", summary));
  }

  /** Problems a previous daemon left open: resolved like any other once their cause is seen gone. */
  restore(open: Notice[]): void {
    for (const notice of open) {
      if (!this.open.has(notice.key)) this.open.set(notice.key, { notice, resolving: null });
      // A file it left invalid is cleared by the first pass that finds it valid.
      if (notice.problem === "manifest-invalid")
        this.manifestFiles.add(notice.key.slice("manifest-invalid:".length));
      if (notice.problem === "low-disk") this.lowPaths.add(notice.key.slice("low-disk:".length));
    }
  }

  /** The problems open now (their open notices). */
  openNow(): Notice[] {
    return [...this.open.values()].map((o) => o.notice);
  }

  /** Ends every resolution timer (the daemon stops). */
  close(): void {
    for (const o of this.open.values())
      if (o.resolving !== null) this.clock.clearTimeout(o.resolving);
  }

  onEvent(e: ReconcilerEvent): void {
    switch (e.type) {
      case "phase": {
        const { app } = e;
        if (e.phase === "backoff")
          this.raise(
            `crash-loop:${app}`,
            app,
            "crash-loop",
            `${app} keeps failing to run: it is in back-off${e.error ? ` (${e.error})` : ""}`,
          );
        else if (e.phase === "unhealthy")
          this.raise(`unhealthy:${app}`, app, "unhealthy", `${app} failed its health check`);
        else if (e.phase === "failed")
          this.raise(
            `failed:${app}`,
            app,
            "failed",
            `${app} failed${e.error ? `: ${e.error}` : ""}`,
          );
        else if (e.phase === "running" || (e.phase === "stopped" && e.stopReason === "user"))
          for (const p of APP_PROBLEMS)
            this.clear(
              `${p}:${app}`,
              `${app} ${e.phase === "running" ? "runs again" : "was stopped by the owner"}`,
            );
        if (e.errorCode === "EROLLEDBACK")
          this.note(
            `rolled-back:${app}`,
            app,
            "rolled-back",
            `${app}: ${e.error ?? "rolled back"}`,
          );
        return;
      }
      case "oom":
        this.raise(`oom:${e.app}`, e.app, "oom", `${e.app} was killed by the kernel for memory`);
        return;
      case "update":
        this.note(
          `update-available:${e.app}`,
          e.app,
          "update-available",
          `${e.app}: a newer ${e.image} is available (${e.latest})`,
        );
        return;
      case "pass":
        this.onPass(e.report);
        return;
      default:
        return;
    }
  }

  /** The filesystems low on space now (the daemon's disk watch): each opens; one with room again resolves. */
  onDisk(low: { path: string; summary: string }[]): void {
    const now = new Set(low.map((l) => l.path));
    for (const l of low) this.raise(`low-disk:${l.path}`, null, "low-disk", l.summary);
    for (const path of this.lowPaths)
      if (!now.has(path)) this.clear(`low-disk:${path}`, `${path} has room again`);
    this.lowPaths = now;
  }

  onPass(report: ReconcileReport): void {
    if (
      !report.observed &&
      (report.errorCode === "EPODMANUNAVAILABLE" || report.errorCode === "EPODMANTIMEOUT")
    )
      this.raise(
        "podman-unreachable",
        null,
        "podman-unreachable",
        `podman does not answer: ${report.error ?? report.errorCode}`,
      );
    else if (report.observed) this.clear("podman-unreachable", "podman answers again");
    const files = new Set(report.manifestErrors.map((m) => m.file));
    for (const m of report.manifestErrors)
      this.raise(
        `manifest-invalid:${m.file}`,
        m.app ?? null,
        "manifest-invalid",
        `${m.file}:${m.line}:${m.column}: ${m.path ? `${m.path}: ` : ""}${m.message}`,
      );
    for (const file of this.manifestFiles)
      if (!files.has(file)) this.clear(`manifest-invalid:${file}`, `${file} is valid again`);
    this.manifestFiles = files;
  }
}
