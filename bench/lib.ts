import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
/** Small helpers shared by the benchmarks: timing and a printed comparison. */
export async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

export async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await time(fn)).ms);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

export function report(title: string, rows: [string, string][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n== ${title}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

/** The median of some figures (the mean of the two middle ones for an even count). */
export function medianOf(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Contender {
  name: string;
  /** Untimed preparation before each of its runs (for example removing containers). */
  before?: () => Promise<unknown>;
  /** The timed part; a number it resolves with is its own measure in ms, used instead of the wall time. */
  run: () => Promise<unknown>;
  /** Run only in the first `runs` rounds (a slow contender); every round by default. */
  runs?: number;
}

/**
 * Runs the contenders in turn, `runs` times (a, b, a, b, ...), so drift of the
 * machine hits them alike, after `warmup` untimed rounds. Returns each one's
 * times in ms, in run order.
 */
export async function interleaved(
  runs: number,
  contenders: Contender[],
  opts: { progress?: (line: string) => void; warmup?: number } = {},
): Promise<Map<string, number[]>> {
  const progress = opts.progress ?? (() => undefined);
  for (let w = 0; w < (opts.warmup ?? 0); w++) {
    for (const c of contenders) {
      await c.before?.();
      await c.run();
    }
    progress(`  warm-up round ${w + 1} done`);
  }
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let i = 0; i < runs; i++) {
    for (const c of contenders) {
      if (c.runs !== undefined && i >= c.runs) continue;
      await c.before?.();
      const { ms, value } = await time(c.run);
      const measured = typeof value === "number" ? value : ms;
      times.get(c.name)!.push(measured);
      progress(`  ${c.name}: run ${i + 1}/${c.runs ?? runs} ${(measured / 1000).toFixed(3)} s`);
    }
  }
  return times;
}

/** The bench apps' command: busybox httpd on 8080, quitting at once on SIGTERM. */
export const APP_COMMAND = ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"];

/** A bench app's manifest: APP_COMMAND published on `port`, with an http health check or none. */
export function benchManifest(id: string, image: string, port: number, httpCheck: boolean): string {
  return [
    "app:",
    `  id: ${id}`,
    `  name: Bench ${id}`,
    `  version: "1"`,
    "  container:",
    `    image: ${image}`,
    `    command: ${JSON.stringify(APP_COMMAND)}`,
    `    ports: ["127.0.0.1:${port}:8080"]`,
    "    stop_timeout: 1s",
    ...(httpCheck ? ["    healthcheck: { http: { port: 8080, path: / }, interval: 10s }"] : []),
    "",
  ].join("\n");
}

/** One row of a side-by-side table: archy, the alternative, their ratio, the target, the verdict. */
export interface ComparisonRow {
  measure: string;
  archy: string;
  alternative: string;
  ratio: string;
  target: string;
  result: "PASS" | "MISS" | "—";
}

/**
 * Prints the rows as one markdown table under a heading that says what ran
 * where: `title`, then the date, commit, archy and podman versions, Node, CPUs,
 * the load before and after, and how long it took.
 */
export function printComparison(
  title: string,
  rows: ComparisonRow[],
  run: { seconds: number; archy: string; podman: string; load: [number, number]; note?: string },
): void {
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: import.meta.dirname,
    encoding: "utf8",
  }).stdout.trim();
  const header = ["measure", "archy", "alternative", "ratio", "target", "result"];
  const lines = [
    header,
    ...rows.map((r) => [r.measure, r.archy, r.alternative, r.ratio, r.target, r.result]),
  ];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(
    `\n== ${title} (${new Date().toISOString().slice(0, 10)}, commit ${commit || "?"}, archy ${run.archy}, ${run.podman}, node ${process.version}, ${cpus().length} CPUs, load ${run.load.map((l) => l.toFixed(1)).join(" -> ")}; ${run.seconds.toFixed(0)} s${run.note ? `, ${run.note}` : ""})`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const l of lines.slice(1)) console.log(line(l));
}
