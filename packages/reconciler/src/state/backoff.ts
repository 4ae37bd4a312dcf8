/**
 * The delay before the next start after `failures` consecutive failures:
 * the first failure of an app that was running is retried at once (a crash
 * is not a crash loop yet), then `initial`, doubled per failure, capped at `max`.
 */
export function backoffDelay(
  failures: number,
  backoff: { initialMs: number; maxMs: number },
): number {
  if (failures <= 1) return 0;
  return Math.min(backoff.initialMs * 2 ** (failures - 2), backoff.maxMs);
}
