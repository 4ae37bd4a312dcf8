// A service's labels: archy sets its own on the container, so they are left
// out (a warning), but watchtower's say how the owner wanted the service's
// image updated: `com.centurylinklabs.watchtower.enable` true becomes
// `update.policy: auto` (watchtower applied new images on its own), false
// `manual`; `…watchtower.monitor-only` true becomes `notify`.
import { isDict, type MapContext } from "./context.js";
import type { ComposePath } from "./positions.js";
import { asBoolean, asText } from "./values.js";

const ENABLE = "com.centurylinklabs.watchtower.enable";
const MONITOR_ONLY = "com.centurylinklabs.watchtower.monitor-only";

export type UpdatePolicy = "manual" | "notify" | "auto";

/** The update policy watchtower's labels ask for; undefined when they say nothing. */
export function mapLabels(
  ctx: MapContext,
  path: ComposePath,
  value: unknown,
): UpdatePolicy | undefined {
  if (value === undefined || value === null) return undefined;
  const entries: [string, string][] = isDict(value)
    ? Object.entries(value).map(([k, v]) => [k, asText(v) ?? ""])
    : Array.isArray(value)
      ? value.map((item) => {
          const text = asText(item) ?? "";
          const eq = text.indexOf("=");
          return eq < 0 ? [text, ""] : [text.slice(0, eq), text.slice(eq + 1)];
        })
      : [];
  const others = entries.map(([k]) => k).filter((k) => k !== ENABLE && k !== MONITOR_ONLY);
  if (others.length > 0)
    ctx.warn(
      path,
      `archy sets its own labels on the container: ${others.join(", ")} ${others.length === 1 ? "is" : "are"} left out`,
    );
  const label = (key: string) => {
    const found = entries.find(([k]) => k === key);
    return found ? asBoolean(found[1]) : undefined;
  };
  if (label(MONITOR_ONLY) === true) return "notify";
  const enable = label(ENABLE);
  return enable === undefined ? undefined : enable ? "auto" : "manual";
}
