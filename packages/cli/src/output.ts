import { createColors } from "picocolors";
import type { AppStatus, Phase } from "@archy/reconciler/api";
import { renderTable } from "./table.js";

type Colors = ReturnType<typeof createColors>;

/** Colour only on a TTY and never with NO_COLOR (FORCE_COLOR forces it). */
export function colorEnabled(stream: NodeJS.WriteStream, env = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

/** Where the CLI writes: data on stdout, messages on stderr. */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly c: Colors;
  readonly ce: Colors;

  constructor(opts: { json: boolean; quiet: boolean }) {
    this.json = opts.json;
    this.quiet = opts.quiet;
    this.c = createColors(colorEnabled(process.stdout));
    this.ce = createColors(colorEnabled(process.stderr));
  }

  /** A line of data (stdout). */
  line(text = ""): void {
    process.stdout.write(`${text}\n`);
  }

  /** One JSON document (stdout). */
  document(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One JSON line of a stream (stdout). */
  jsonLine(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A message for the person (stderr), not with --quiet. */
  info(text: string): void {
    if (!this.quiet) process.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    process.stderr.write(`${this.ce.yellow("warning:")} ${text}\n`);
  }

  error(text: string): void {
    process.stderr.write(`${this.ce.red("error:")} ${text}\n`);
  }

  /** An aligned table without borders. */
  table(head: string[], rows: string[][]): void {
    const text = renderTable(
      head.map((h) => this.c.bold(h)),
      rows,
    );
    process.stdout.write(
      `${text
        .split("\n")
        .map((l) => l.trimEnd())
        .join("\n")}\n`,
    );
  }

  phase(p: Phase | string): string {
    const c = this.c;
    switch (p) {
      case "running":
        return c.green(p);
      case "starting":
      case "stopping":
      case "restarting":
      case "installing":
      case "removing":
        return c.cyan(p);
      case "stopped":
        return c.dim(p);
      case "backoff":
      case "unhealthy":
      case "paused":
      case "created":
        return c.yellow(p);
      default:
        return c.red(p);
    }
  }
}

/** "3d4h", "5m12s", "40s". */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ""}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60 ? `${m % 60}m` : ""}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ""}`;
}

export function uptime(app: AppStatus, now = Date.now()): string {
  if (app.container?.state !== "running" || !app.container.startedAt) return "-";
  return humanDuration(now - Date.parse(app.container.startedAt));
}
