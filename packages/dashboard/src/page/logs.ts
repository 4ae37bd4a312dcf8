// One app's log panel: what it holds and shows. The stream
// (GET /v1/apps/<id>/logs?tail=200&follow=true) replays the tail on every
// (re)connection, so an open starts the buffer afresh.

export interface LogLine {
  /** A running number, for stable keys. */
  n: number;
  text: string;
  stream: "stdout" | "stderr";
}

export type LogStatus = "connecting" | "following" | "ended" | "reconnecting" | "unavailable";

export interface LogState {
  status: LogStatus;
  /** Why the log is not available, as the daemon said (its `event: error`). */
  message: string | null;
  lines: LogLine[];
  next: number;
}

/** Lines kept per panel: the oldest go first. */
export const LOG_LINES_KEPT = 2000;

export const initialLog = (): LogState => ({
  status: "connecting",
  message: null,
  lines: [],
  next: 1,
});

export type LogAction =
  /** A stream is being opened (the panel opened, or "follow again"). */
  | { type: "connect" }
  | { type: "open" }
  | { type: "line"; data: string }
  /** `event: end`: the log ended; its data `{"error": {"message","exitCode"}}` when it failed (no container). */
  | { type: "end"; data?: string }
  /** An `event: error` with data `{"message","exitCode"}` (the stream then ends). */
  | { type: "failed"; data: string }
  /** The stream failed: `retrying` when the browser reconnects it by itself. */
  | { type: "error"; retrying: boolean };

/** Terminal colour and cursor sequences, which a page cannot show: dropped. */
// eslint-disable-next-line no-control-regex -- matching the escape character is the point
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** A `line` event's data: `{"line": "...", "stream": "stdout"|"stderr"}`; null when it is not. */
export function parseLogLine(data: string): Omit<LogLine, "n"> | null {
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value !== "object" || value === null) return null;
    const { line, stream } = value as { line?: unknown; stream?: unknown };
    if (typeof line !== "string") return null;
    return { text: line.replace(ANSI, ""), stream: stream === "stderr" ? "stderr" : "stdout" };
  } catch {
    return null;
  }
}

const parse = (data: string | undefined): unknown => {
  try {
    return data ? JSON.parse(data) : null;
  } catch {
    return null;
  }
};

/** The message of an `event: error`'s data; a generic one when it has none. */
function errorMessage(data: string): string {
  const value = parse(data) as { message?: unknown } | null;
  return typeof value?.message === "string" ? value.message : "the daemon could not read the log";
}

/** The error an `event: end` carries, if any: `{"error": {"message", "exitCode"}}`. */
function endError(data: string | undefined): string | null {
  const value = parse(data) as { error?: { message?: unknown } | null } | null;
  if (!value?.error) return null;
  return typeof value.error.message === "string"
    ? value.error.message
    : "the daemon could not read the log";
}

export function reduceLog(state: LogState, action: LogAction): LogState {
  switch (action.type) {
    case "connect":
      return { ...state, status: "connecting", message: null };
    case "open":
      return { ...state, status: "following", message: null, lines: [] };
    case "line": {
      const line = parseLogLine(action.data);
      if (!line) return state;
      const lines =
        state.lines.length >= LOG_LINES_KEPT
          ? [
              ...state.lines.slice(state.lines.length - LOG_LINES_KEPT + 1),
              { ...line, n: state.next },
            ]
          : [...state.lines, { ...line, n: state.next }];
      return { ...state, lines, next: state.next + 1 };
    }
    case "end": {
      const message = endError(action.data);
      return message === null
        ? { ...state, status: "ended" }
        : { ...state, status: "unavailable", message };
    }
    case "failed":
      return { ...state, status: "unavailable", message: errorMessage(action.data) };
    case "error":
      if (state.status === "ended" || state.status === "unavailable") return state;
      return { ...state, status: action.retrying ? "reconnecting" : "unavailable" };
  }
}

export const LOG_STATUS_TEXT: Readonly<Record<LogStatus, string>> = {
  connecting: "Connecting…",
  following: "Following live",
  ended: "The log ended (the container stopped)",
  reconnecting: "Connection lost, reconnecting…",
  unavailable: "The log is not available",
};

export const logUrl = (id: string): string =>
  `/v1/apps/${encodeURIComponent(id)}/logs?tail=200&follow=true`;
