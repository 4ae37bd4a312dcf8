// What one client of the daemon's API may send or hold, on the socket and over HTTP.

/** Bounds on what one client may send or hold (`createApiServer`'s `limits`). */
export interface ApiLimits {
  /** Largest request body: 4 MiB (a manifest is at most 1 MiB, JSON-escaped in the body). */
  maxBodyBytes: number;
  /** A client has this long to send its request's headers (a slow client is cut off, others are answered). */
  headersTimeoutMs: number;
  /** ... and this long to send the whole request. */
  requestTimeoutMs: number;
  /** An event-stream client that has not read this much is dropped instead of buffered without end. */
  maxUnreadEventBytes: number;
  /** Connections the socket queues before they are accepted (Node's default 511 refuses a burst of 1000). */
  backlog: number;
  /** A comment line on each open event or followed log stream this often (none without streams). */
  heartbeatMs: number;
  /** Log streams open at once (each is a `podman logs` process); one more is refused with 503. */
  maxLogStreams: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  maxBodyBytes: 4 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxUnreadEventBytes: 1024 * 1024,
  backlog: 4096,
  heartbeatMs: 25_000,
  maxLogStreams: 16,
};
