// Fetches of the state, coalesced: at most one in flight and one queued, so a
// burst of events costs the daemon two requests, not one per event.

/** `apps`: GET /v1/apps; `full`: that and GET /v1/daemon (a re-sync after the stream opened). */
export type SyncKind = "apps" | "full";

export interface Coalescer {
  /**
   * Asks for a fetch that starts after this call. Resolves when such a fetch
   * ended (rejects with its error); a request made while one is in flight
   * joins the single queued one, which is `full` if any of its requests was.
   */
  request(kind: SyncKind): Promise<void>;
  /** How many fetches ran (for tests and the curious). */
  readonly runs: number;
}

export function createCoalescer(run: (kind: SyncKind) => Promise<void>): Coalescer {
  let inFlight = false;
  let queued: { kind: SyncKind; settle: { resolve(): void; reject(e: unknown): void }[] } | null =
    null;
  let runs = 0;

  const start = (kind: SyncKind): Promise<void> => {
    inFlight = true;
    runs++;
    let result: Promise<void>;
    try {
      result = run(kind);
    } catch (error) {
      result = Promise.reject(error);
    }
    const next = () => {
      inFlight = false;
      const q = queued;
      queued = null;
      if (!q) return;
      start(q.kind).then(
        () => q.settle.forEach((s) => s.resolve()),
        (error: unknown) => q.settle.forEach((s) => s.reject(error)),
      );
    };
    return result.finally(next);
  };

  return {
    request(kind) {
      if (!inFlight) return start(kind);
      return new Promise<void>((resolve, reject) => {
        queued ??= { kind, settle: [] };
        if (kind === "full") queued.kind = "full";
        queued.settle.push({ resolve, reject });
      });
    },
    get runs() {
      return runs;
    },
  };
}
