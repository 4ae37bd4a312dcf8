/**
 * Time as the notifier sees it: passed in, so tests run the watchdog on
 * virtual time. The same shape as `Clock` of `@archy/runtime-podman` (its
 * `VirtualClock` fits), declared here so this package needs nothing of it.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now` and the global timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
