// A log panel: follows one app's log over its own EventSource while it is open.
import { Component } from "preact";
import { useEffect, useReducer, useRef, useState } from "preact/hooks";
import { initialLog, LOG_STATUS_TEXT, logUrl, reduceLog, type LogLine } from "./logs.js";

export function LogPanel({ id, domId, onClose }: { id: string; domId: string; onClose(): void }) {
  const [log, dispatch] = useReducer(reduceLog, 0, initialLog);
  const [generation, setGeneration] = useState(0);
  const pre = useRef<HTMLPreElement>(null);
  const atBottom = useRef(true);

  useEffect(() => {
    dispatch({ type: "connect" });
    const es = new EventSource(logUrl(id));
    es.onopen = () => dispatch({ type: "open" });
    es.addEventListener("line", (e) => dispatch({ type: "line", data: String(e.data) }));
    es.addEventListener("end", (e) => {
      es.close(); // else the browser reconnects and replays the tail
      dispatch({ type: "end", data: String(e.data) });
    });
    es.onerror = (e) => {
      // The daemon's own `event: error` (no container, podman failed) comes here too, with data.
      if (e instanceof MessageEvent && typeof e.data === "string") {
        es.close();
        return dispatch({ type: "failed", data: e.data });
      }
      const retrying = es.readyState === EventSource.CONNECTING;
      if (!retrying) es.close();
      dispatch({ type: "error", retrying });
    };
    return () => es.close();
  }, [id, generation]);

  useEffect(() => {
    const el = pre.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [log.lines]);

  const again = log.status === "ended" || log.status === "unavailable";
  return (
    <div
      class="log"
      id={domId}
      data-log={id}
      role="region"
      aria-label={`Log of ${id}`}
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
    >
      <div class="log-head">
        <span class={`log-status log-${log.status}`} data-field="log-status">
          {LOG_STATUS_TEXT[log.status]}
          {log.message ? `: ${log.message}` : ""}
          {log.lines.length ? ` · ${log.lines.length} lines` : ""}
        </span>
        <span class="log-buttons">
          {again && (
            <button type="button" class="btn" onClick={() => setGeneration((g) => g + 1)}>
              Follow again
            </button>
          )}
          <button type="button" class="btn" aria-label={`Close the log of ${id}`} onClick={onClose}>
            Close
          </button>
        </span>
      </div>
      <pre
        ref={pre}
        class="log-lines"
        tabIndex={0}
        aria-label={`Last lines of ${id}'s log`}
        onScroll={(e) => {
          const el = e.currentTarget;
          atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        <LogLines lines={log.lines} following={log.status === "following"} />
      </pre>
    </div>
  );
}

/** The lines of a log panel, drawn again only when they change (not on every tick of the clock). */
class LogLines extends Component<{ lines: LogLine[]; following: boolean }> {
  override shouldComponentUpdate(next: { lines: LogLine[]; following: boolean }): boolean {
    return next.lines !== this.props.lines || next.following !== this.props.following;
  }

  override render() {
    const { lines, following } = this.props;
    if (lines.length === 0) return <span class="sub">{following ? "(no output yet)" : ""}</span>;
    return (
      <>
        {lines.map((l) => (
          <span key={l.n} class={l.stream === "stderr" ? "line err" : "line"}>
            {l.stream === "stderr" && <span class="gutter">stderr </span>}
            {l.text}
            {"\n"}
          </span>
        ))}
      </>
    );
  }
}
