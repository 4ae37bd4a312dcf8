// Durations, countdowns and times as the page shows them. Pure: every
// function takes `now` (ms) from the caller's clock.

/** `42s`, `5m3s`, `2h10m`, `3d4h`: the CLI's `archy ps` spelling. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ""}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60 ? `${m % 60}m` : ""}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ""}`;
}

/** The same, for a screen reader: `5 minutes 3 seconds`. */
export function spokenDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(s / 86400), "day"],
    [Math.floor(s / 3600) % 24, "hour"],
    [Math.floor(s / 60) % 60, "minute"],
    [s % 60, "second"],
  ];
  const shown = parts.filter(([n]) => n > 0).slice(0, 2);
  if (shown.length === 0) return "0 seconds";
  return shown.map(([n, unit]) => `${n} ${unit}${n === 1 ? "" : "s"}`).join(" ");
}

/**
 * Uptime from the moment the payload said `uptimeSeconds` (`receivedAt`,
 * the page's clock): immune to a skew between the daemon's clock and the
 * browser's. null when the app does not run.
 */
export function uptimeMs(
  uptimeSeconds: number | null,
  receivedAt: number,
  now: number,
): number | null {
  if (uptimeSeconds === null) return null;
  return uptimeSeconds * 1000 + Math.max(0, now - receivedAt);
}

/**
 * The next retry under back-off, counted down: `in 12s`, `now` once due
 * (the daemon retries at its next pass). `offsetMs` is the daemon's clock
 * minus the page's (see `clockOffset`). null without a retry.
 */
export function countdown(nextRetryAt: string | null, now: number, offsetMs = 0): string | null {
  if (!nextRetryAt) return null;
  const at = Date.parse(nextRetryAt);
  if (Number.isNaN(at)) return null;
  const left = at - (now + offsetMs);
  return left <= 0 ? "now" : `in ${humanDuration(left + 999)}`;
}

/** `5m ago` for a past ISO time (daemon clock), `just now` under a second. */
export function ago(iso: string | null | undefined, now: number, offsetMs = 0): string {
  if (!iso) return "-";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "-";
  const past = now + offsetMs - at;
  return past < 1000 ? "just now" : `${humanDuration(past)} ago`;
}

/**
 * The daemon's clock minus the page's, from an HTTP `Date` header read when
 * the answer arrived at `receivedAt`. The header has a resolution of one
 * second, so an estimate within 2 s of the page's own clock counts as none.
 */
export function clockOffset(dateHeader: string | null, receivedAt: number): number {
  if (!dateHeader) return 0;
  const server = Date.parse(dateHeader);
  if (Number.isNaN(server)) return 0;
  const offset = server + 500 - receivedAt; // the header truncates to the second
  return Math.abs(offset) < 2000 ? 0 : offset;
}

/** A local, readable form of an ISO time: `2026-12-02 15:04:05`. */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return "-";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
