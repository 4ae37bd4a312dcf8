// What running containers use, as `podman stats` samples it: numbers, not
// podman's words ("335.9kB / 67.11MB"). `.ContainerStats.MemUsage` is the
// field the MemUsage words hide, on 4.3 and 5 alike.
import { PodmanOutputError } from "./errors.js";
import type { ContainerUsage } from "./types.js";

/** The arguments of the one `podman stats` call. */
export const STATS_ARGS = [
  "stats",
  "--no-stream",
  "--no-reset",
  "--format",
  "{{.ID}} {{.Name}} {{.CPUNano}} {{.ContainerStats.MemUsage}} {{.MemLimit}}",
];

/**
 * `podman stats --format "{{.ID}} {{.Name}} {{.CPUNano}} {{.ContainerStats.MemUsage}} {{.MemLimit}}"`,
 * one container a line, the running ones. A line that is not five fields of
 * that shape is a PodmanOutputError (podman changed its output).
 */
export function parseStatsLines(text: string): ContainerUsage[] {
  const out: ContainerUsage[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const f = line.trim().split(/\s+/);
    const [id, name, cpu, mem, limit] = f;
    const n = [cpu, mem, limit].map(Number);
    if (f.length !== 5 || n.some((x) => !Number.isFinite(x)))
      throw new PodmanOutputError(
        "stats",
        `a line that is not "ID NAME CPU MEMORY LIMIT": ${line}`,
      );
    // podman 4.3 lists a container that does not run (created) too, all zeros; 5 leaves it out.
    if (n[2] === 0) continue;
    out.push({
      id: id!,
      name: name!,
      cpuNanos: n[0]!,
      memoryBytes: n[1]!,
      memoryLimitBytes: n[2]!,
    });
  }
  return out;
}
