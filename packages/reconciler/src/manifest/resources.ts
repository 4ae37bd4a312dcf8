// `container.resources`: what one app may take of the host (podman's
// `--memory`, `--memory-reservation`, `--cpus`, `--pids-limit`). Sizes are
// written as podman reads them (`512m`, `1g`, `1.5g`, a number of bytes) and
// kept as bytes, so `1g` and `1024m` hash the same.
import { z } from "zod";
import type { ContainerResources } from "@archy/runtime-podman";
import { MIN_MEMORY, parseSize } from "./size.js";

const sizeError = "expected a size such as 512m or 1g (b, k, m, g), or a number of bytes";
const size = z.union([z.string(), z.number()], { error: sizeError }).superRefine((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === null) ctx.addIssue({ code: "custom", message: sizeError });
  else if (bytes < MIN_MEMORY)
    ctx.addIssue({ code: "custom", message: "expected at least 6m (podman's smallest limit)" });
});

export const resourcesSchema = z
  .strictObject({
    memory: size.optional(),
    memory_reservation: size.optional(),
    cpus: z
      .number({ error: "expected a number of CPUs such as 0.5 or 2" })
      .positive({ error: "expected more than 0 CPUs" })
      .max(1024, { error: "expected at most 1024 CPUs" })
      .optional(),
    pids: z
      .number({ error: "expected a whole number of processes" })
      .int({ error: "expected a whole number of processes" })
      .min(1, { error: "expected at least 1 process" })
      .optional(),
  })
  .superRefine((r, ctx) => {
    const limit = r.memory === undefined ? null : parseSize(r.memory);
    const reserved = r.memory_reservation === undefined ? null : parseSize(r.memory_reservation);
    if (limit !== null && reserved !== null && reserved > limit)
      ctx.addIssue({
        code: "custom",
        path: ["memory_reservation"],
        message: "expected at most memory (a reservation above the limit is never met)",
      });
  });

/** The normalised limits, or null when none is given (the config hash stays as it was). */
export function toResources(
  r: z.infer<typeof resourcesSchema> | undefined,
): ContainerResources | null {
  if (!r) return null;
  const out: ContainerResources = {
    ...(r.memory !== undefined ? { memoryBytes: parseSize(r.memory)! } : {}),
    ...(r.memory_reservation !== undefined
      ? { memoryReservationBytes: parseSize(r.memory_reservation)! }
      : {}),
    ...(r.cpus !== undefined ? { cpus: r.cpus } : {}),
    ...(r.pids !== undefined ? { pids: r.pids } : {}),
  };
  return Object.keys(out).length > 0 ? out : null;
}
