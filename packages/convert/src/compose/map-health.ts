// `healthcheck:` and `restart:` into archy's health check and restart policy.
import { isDict, warnOtherKeys, type MapContext } from "./context.js";
import type { ComposePath } from "./positions.js";
import { archyDuration, asBoolean, asText, composeDurationMs, MAX_DURATION_MS } from "./values.js";

export interface ArchyHealthcheck {
  cmd: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

/** A compose duration at `path` in archy's form; a warning (and undefined) if it does not fit. */
export function mapDuration(
  ctx: MapContext,
  path: ComposePath,
  value: unknown,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = composeDurationMs(value);
  if (ms === null) {
    ctx.invalid(
      path,
      `expected a duration such as 10s, 1m30s or 500ms, not ${JSON.stringify(value)}`,
      "value",
    );
    return undefined;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.warn(path, `archy takes durations of at most 24h: ${String(value)} becomes 24h`, "value");
    return archyDuration(MAX_DURATION_MS);
  }
  return archyDuration(ms);
}

/**
 * The service's health check: `CMD` words as they are, `CMD-SHELL` and a
 * string through `/bin/sh -c`, `NONE` or `disable: true` none. Compose's
 * default timeout (30s) is written out because archy's default is 5s.
 */
export function mapHealthcheck(
  ctx: MapContext,
  path: ComposePath,
  value: unknown,
): ArchyHealthcheck | undefined {
  if (!isDict(value)) return undefined;
  warnOtherKeys(ctx, path, value, [
    "test",
    "interval",
    "timeout",
    "retries",
    "start_period",
    "disable",
  ]);
  if (asBoolean(value.disable) === true) return undefined;
  const test = value.test;
  let cmd: string[] | undefined;
  const testPath = [...path, "test"];
  if (typeof test === "string") cmd = test.trim() === "" ? undefined : ["/bin/sh", "-c", test];
  else if (Array.isArray(test)) {
    const words = test.map((w) => asText(w) ?? "");
    const [kind, ...rest] = words;
    if (kind === "NONE") return undefined;
    if (kind === "CMD" && rest.length > 0) cmd = rest;
    else if (kind === "CMD-SHELL" && rest.length > 0) cmd = ["/bin/sh", "-c", rest.join(" ")];
    else {
      ctx.invalid(
        testPath,
        'expected ["CMD", ...], ["CMD-SHELL", "..."], ["NONE"] or a string',
        "value",
      );
      return undefined;
    }
  }
  if (!cmd) {
    ctx.warn(
      test === undefined ? path : testPath,
      "a health check without a test uses the image's own HEALTHCHECK under compose; archy runs only checks its manifest gives, so this service has none",
    );
    return undefined;
  }
  const h: ArchyHealthcheck = { cmd };
  const interval = mapDuration(ctx, [...path, "interval"], value.interval);
  const timeout = mapDuration(ctx, [...path, "timeout"], value.timeout ?? "30s");
  const startPeriod = mapDuration(ctx, [...path, "start_period"], value.start_period);
  if (interval !== undefined) h.interval = interval === "0s" ? "30s" : interval;
  if (timeout !== undefined) h.timeout = timeout === "0s" ? "30s" : timeout;
  const retries = asText(value.retries);
  if (retries !== undefined) {
    const n = Number(retries);
    if (!Number.isInteger(n) || n < 0)
      ctx.invalid([...path, "retries"], "expected a whole number", "value");
    else if (n > 0) h.retries = n;
  }
  if (startPeriod !== undefined && startPeriod !== "0s") h.start_period = startPeriod;
  return h;
}

/** `restart:` into archy's policy (compose's default is "no"). */
export function mapRestart(
  ctx: MapContext,
  path: ComposePath,
  value: unknown,
): "always" | "on-failure" | "no" {
  const text = asText(value);
  if (text === undefined) return "no";
  if (text === "no" || text === "always") return text;
  if (text === "unless-stopped") return "always";
  const m = /^on-failure(?::(\d+))?$/.exec(text);
  if (m) {
    if (m[1] !== undefined)
      ctx.warn(
        path,
        `archy cannot limit restarts to ${m[1]}: it restarts after every failure, backing off (restart.backoff)`,
        "value",
      );
    return "on-failure";
  }
  ctx.invalid(
    path,
    `expected no, always, on-failure[:N] or unless-stopped, not "${text}"`,
    "value",
  );
  return "no";
}
