// The page's event stream: one EventSource on /v1/events, reopened by the page
// itself (after 0.5 s, then 1, 2, then every 3 s) whenever it drops, so
// a daemon that restarts, refuses connections for a while or answers an error
// is always reached again. Every open is reported: the caller re-syncs then.

/** What the page needs of an EventSource (a test passes a fake). */
export interface EventSourceLike {
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  close(): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LiveOptions {
  url: string;
  open(url: string): EventSourceLike;
  timers: Timers;
  /** The stream (re)opened: fetch the full state now. */
  onOpen(): void;
  /** One event's `data`. */
  onMessage(data: string): void;
  /**
   * The stream dropped (or could not be opened); a reopen is scheduled.
   * `failures`: how many times in a row it has now failed since it was last open.
   */
  onDown(failures: number): void;
}

/** The wait before reopen number `attempt` (0-based). */
export const reconnectDelay = (attempt: number): number => Math.min(3000, 500 * 2 ** attempt);

export interface LiveConnection {
  /** Closes the stream for good. */
  close(): void;
  /** Reopens now if the stream is down and waiting (the browser came back online). */
  retryNow(): void;
}

export function connectLive(opts: LiveOptions): LiveConnection {
  let source: EventSourceLike | null = null;
  let timer: unknown = null;
  let attempt = 0;
  let closed = false;

  const open = () => {
    timer = null;
    if (closed) return;
    const es = opts.open(opts.url);
    source = es;
    es.onopen = () => {
      if (source !== es) return;
      attempt = 0;
      opts.onOpen();
    };
    es.onmessage = (ev) => {
      if (source === es) opts.onMessage(String(ev.data));
    };
    es.onerror = () => {
      if (source !== es) return;
      // The browser would retry on its own, on its own schedule, and not at all after
      // an error status: the page closes the stream and reopens it itself.
      es.close();
      source = null;
      opts.onDown(attempt + 1);
      if (!closed) timer = opts.timers.setTimeout(open, reconnectDelay(attempt++));
    };
  };
  open();

  return {
    close() {
      closed = true;
      if (timer !== null) opts.timers.clearTimeout(timer);
      timer = null;
      source?.close();
      source = null;
    },
    retryNow() {
      if (closed || timer === null) return;
      opts.timers.clearTimeout(timer);
      attempt = 0;
      open();
    },
  };
}
