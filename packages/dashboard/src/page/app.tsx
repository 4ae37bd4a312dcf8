// The status page's view: draws the state (state.ts) and hands the owner's
// clicks to the controller. No logic here that a unit test would want.
import { Component } from "preact";
import { useEffect, useReducer, useRef, useState } from "preact/hooks";
import type { Controller } from "./controller.js";
import { ago, countdown, humanDuration, localTime, spokenDuration, uptimeMs } from "./format.js";
import { initialLog, LOG_STATUS_TEXT, logUrl, reduceLog, type LogLine } from "./logs.js";
import { HEALTH_LOOK, healthText, OPS, phaseLook, STOP_REASONS } from "./phase.js";
import { busy, pageTitle, type AppRow, type PageState } from "./state.js";
import type { DaemonInfo, Op, PassReport } from "./types.js";

const OP_LABEL: Record<Op, string> = { start: "Start", stop: "Stop", restart: "Restart" };

/**
 * The page's clock, ticking once a second for countdowns and uptimes (it
 * fetches nothing), and not at all while the tab is hidden.
 */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const tick = () => {
      if (!document.hidden) setNow(Date.now());
    };
    const timer = setInterval(tick, 1000);
    document.addEventListener("visibilitychange", tick);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", tick);
    };
  }, []);
  return now;
}

function useStore(controller: Controller): PageState {
  const [state, setState] = useState(() => controller.store.get());
  useEffect(() => {
    setState(controller.store.get());
    return controller.store.subscribe(() => setState(controller.store.get()));
  }, [controller]);
  return state;
}

export function App({ controller }: { controller: Controller }) {
  const state = useStore(controller);
  const now = useNow();
  const [openLogs, setOpenLogs] = useState<ReadonlySet<string>>(new Set());
  const title = pageTitle(state);
  useEffect(() => {
    document.title = title;
  }, [title]);
  const toggleLogs = (id: string) =>
    setOpenLogs((open) => {
      const next = new Set(open);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <>
      <a class="skip" href="#apps">
        Skip to the apps
      </a>
      <header class="top">
        <h1>
          <span aria-hidden="true" class="logo">
            ▲
          </span>{" "}
          archy
        </h1>
        <p class="host">{state.daemon ? `daemon ${state.daemon.version}` : "status"}</p>
        <Connection state={state} />
      </header>
      <div
        class="sr-only"
        aria-live="polite"
        aria-relevant="additions text"
        data-testid="announcer"
      >
        {state.announcements.map((a) => (
          <p key={a.id}>{a.text}</p>
        ))}
      </div>
      <main class={state.connection === "live" ? "" : "stale"}>
        <Apps
          state={state}
          now={now}
          openLogs={openLogs}
          onToggleLogs={toggleLogs}
          onOperate={(id, op) => void controller.operate(id, op)}
        />
        <ManifestErrors state={state} />
        <Orphans state={state} />
        <div class="pair">
          <Daemon daemon={state.daemon} now={now} offsetMs={state.offsetMs} />
          <Recovery daemon={state.daemon} />
        </div>
      </main>
      <footer class="foot">
        <p>
          archy keeps this page live over one event stream; it polls nothing. The same data:{" "}
          <code>archy ps</code>, <code>archy status</code>, <code>archy events</code>.
        </p>
      </footer>
    </>
  );
}

function Connection({ state }: { state: PageState }) {
  const live = state.connection === "live";
  const text = live
    ? "Live"
    : state.synced
      ? "Connection to the daemon lost: reconnecting… The rows show the last known state."
      : "Connecting to the daemon…";
  return (
    <div
      class={`conn ${live ? "conn-live" : "conn-down"}`}
      data-testid="connection"
      data-state={live ? "live" : "reconnecting"}
      role="status"
    >
      <span aria-hidden="true" class={live ? "dot" : "dot spin"}>
        {live ? "●" : "◌"}
      </span>
      <span>{text}</span>
      {state.syncError && (
        <span class="conn-error">
          {" "}
          Could not load the state: {state.syncError}
          {/401|403|token|unauthori[sz]ed/i.test(state.syncError) &&
          !state.syncError.includes("archy dashboard")
            ? " (run archy dashboard for a new link)"
            : ""}
        </span>
      )}
    </div>
  );
}

interface AppsProps {
  state: PageState;
  now: number;
  openLogs: ReadonlySet<string>;
  onToggleLogs(id: string): void;
  onOperate(id: string, op: Op): void;
}

function Apps({ state, now, openLogs, onToggleLogs, onOperate }: AppsProps) {
  return (
    <section id="apps" aria-labelledby="apps-title" tabIndex={-1}>
      <h2 id="apps-title">
        Apps <span class="count">{state.synced ? state.apps.length : ""}</span>
      </h2>
      {!state.synced ? (
        <p class="empty">Loading…</p>
      ) : state.apps.length === 0 ? (
        <p class="empty">
          No apps. Put a manifest in the manifests folder, or run <code>archy install FILE</code>.
        </p>
      ) : (
        <table class="apps" role="table" aria-labelledby="apps-title">
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">
                App
              </th>
              <th scope="col" role="columnheader">
                Phase
              </th>
              <th scope="col" role="columnheader">
                Health
              </th>
              <th scope="col" role="columnheader">
                Restarts
              </th>
              <th scope="col" role="columnheader">
                Uptime
              </th>
              <th scope="col" role="columnheader">
                Image
              </th>
              <th scope="col" role="columnheader">
                Stop reason
              </th>
              <th scope="col" role="columnheader">
                Last error
              </th>
              <th scope="col" role="columnheader">
                Depends on
              </th>
              <th scope="col" role="columnheader">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          {state.apps.map((app) => (
            <AppRowView
              key={app.id}
              app={app}
              state={state}
              now={now}
              logsOpen={openLogs.has(app.id)}
              onToggleLogs={onToggleLogs}
              onOperate={onOperate}
            />
          ))}
        </table>
      )}
    </section>
  );
}

interface RowProps {
  app: AppRow;
  state: PageState;
  now: number;
  logsOpen: boolean;
  onToggleLogs(id: string): void;
  onOperate(id: string, op: Op): void;
}

function AppRowView({ app, state, now, logsOpen, onToggleLogs, onOperate }: RowProps) {
  const look = phaseLook(app.phase);
  const disabled = busy(state, app);
  const health = HEALTH_LOOK[app.health ?? "none"] ?? HEALTH_LOOK.none;
  const up = uptimeMs(app.uptimeSeconds, app.receivedAt, now);
  const retry =
    app.phase === "backoff" || app.stopReason === "backoff" || app.nextRetryAt
      ? countdown(app.nextRetryAt, now, state.offsetMs)
      : null;
  const error = state.opErrors[app.id] ?? app.lastError;
  const logsButton = useRef<HTMLButtonElement>(null);
  const phaseRef = useRef<HTMLSpanElement>(null);
  const logId = `log-${app.id}`;
  // The explicit roles keep the table's semantics in the narrow layout, where CSS
  // turns it into cards (some browsers drop a table's roles with display: block).
  return (
    // One tbody per app: its row and, when open, its log panel.
    <tbody role="rowgroup" class={`app tone-${look.tone}`} aria-busy={disabled ? "true" : "false"}>
      <tr role="row" data-app={app.id}>
        <th scope="row" role="rowheader" data-label="App">
          <span class="name">{app.name}</span>
          <span class="sub">
            {app.id}
            {app.version ? ` · ${app.version}` : ""}
          </span>
        </th>
        <td role="cell" data-label="Phase">
          <span class={`phase tone-${look.tone}`} title={look.meaning} ref={phaseRef} tabIndex={-1}>
            <span aria-hidden="true" class={look.transitional ? "icon spin" : "icon"}>
              {look.icon}
            </span>
            <span data-field="phase">{app.phase}</span>
          </span>
          <span class="sub">
            {ago(app.since, now, state.offsetMs)}
            {app.desired === "stopped" && app.phase !== "stopped" ? " · wanted stopped" : ""}
          </span>
        </td>
        <td role="cell" data-label="Health" class="nowrap">
          {health.icon && (
            <span aria-hidden="true" class={`icon tone-${health.tone}`}>
              {health.icon}
            </span>
          )}
          <span data-field="health" class={`tone-${health.tone}`}>
            {healthText(app.health)}
          </span>
        </td>
        <td role="cell" data-label="Restarts" class="num">
          <span data-field="restarts">{app.restarts}</span>
        </td>
        <td role="cell" data-label="Uptime" class="num">
          {up === null ? (
            <span data-field="uptime">-</span>
          ) : (
            <span data-field="uptime" title={spokenDuration(up)}>
              {humanDuration(up)}
            </span>
          )}
        </td>
        <td role="cell" data-label="Image">
          <code data-field="image" class="image">
            {app.image}
          </code>
        </td>
        <td role="cell" data-label="Stop reason">
          <span
            data-field="stop-reason"
            title={app.stopReason ? STOP_REASONS[app.stopReason] : undefined}
          >
            {app.stopReason ?? "-"}
          </span>
          {retry && (
            <span class="sub" data-field="next-retry">
              next retry {retry}
            </span>
          )}
        </td>
        <td role="cell" data-label="Last error" class="error-cell">
          <span data-field="error" class="error" role={error ? "note" : undefined}>
            {error ?? ""}
          </span>
        </td>
        <td role="cell" data-label="Depends on">
          <span data-field="depends-on">
            {app.dependsOn.length ? app.dependsOn.join(", ") : "-"}
          </span>
        </td>
        <td role="cell" class="actions" data-label="Actions">
          {OPS.map((op) => (
            <button
              key={op}
              type="button"
              class={`btn btn-${op}`}
              data-action={op}
              aria-label={`${OP_LABEL[op]} ${app.id}`}
              disabled={disabled}
              onClick={(e) => {
                // The button is disabled at once: focus moves to the phase it changed,
                // not to the top of the page.
                if (document.activeElement === e.currentTarget) phaseRef.current?.focus();
                onOperate(app.id, op);
              }}
            >
              {OP_LABEL[op]}
            </button>
          ))}
          <button
            ref={logsButton}
            type="button"
            class="btn btn-logs"
            data-action="logs"
            aria-label={`Logs of ${app.id}`}
            aria-expanded={logsOpen ? "true" : "false"}
            aria-controls={logsOpen ? logId : undefined}
            onClick={() => onToggleLogs(app.id)}
          >
            Logs
          </button>
        </td>
      </tr>
      {logsOpen && (
        <tr role="row" class="log-row">
          <td role="cell" colSpan={10}>
            <LogPanel
              id={app.id}
              domId={logId}
              onClose={() => {
                onToggleLogs(app.id);
                logsButton.current?.focus();
              }}
            />
          </td>
        </tr>
      )}
    </tbody>
  );
}

function LogPanel({ id, domId, onClose }: { id: string; domId: string; onClose(): void }) {
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

function ManifestErrors({ state }: { state: PageState }) {
  const errors = state.manifestErrors;
  return (
    <section id="manifest-errors" aria-labelledby="manifest-errors-title">
      <h2 id="manifest-errors-title">
        Manifest errors <span class="count">{state.synced ? errors.length : ""}</span>
      </h2>
      {errors.length === 0 ? (
        <p class="empty">{state.synced ? "Every manifest is valid." : "Loading…"}</p>
      ) : (
        <ul class="issues">
          {errors.map((e, i) => (
            <li key={`${e.file}:${e.line}:${e.column}:${i}`} class="issue tone-bad">
              <span aria-hidden="true" class="icon">
                ✕
              </span>
              <code data-field="location">
                {e.file}:{e.line}:{e.column}
              </code>
              {e.path && (
                <>
                  {" "}
                  <code data-field="path" class="path">
                    {e.path}
                  </code>
                </>
              )}{" "}
              <span data-field="message">{e.message}</span>
              {e.app && <span class="sub"> (app {e.app}: not reconciled until fixed)</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Orphans({ state }: { state: PageState }) {
  const orphans = state.orphans;
  return (
    <section id="orphans" aria-labelledby="orphans-title">
      <h2 id="orphans-title">
        Orphans <span class="count">{state.synced ? orphans.length : ""}</span>
      </h2>
      {orphans.length === 0 ? (
        <p class="empty">
          {state.synced ? "No container is labelled for an app without a manifest." : "Loading…"}
        </p>
      ) : (
        <>
          <ul class="issues">
            {orphans.map((o) => (
              <li key={o.name} class="issue tone-warn" data-orphan={o.name}>
                <span aria-hidden="true" class="icon">
                  !
                </span>
                <code>{o.name}</code> (app <code>{o.app || "?"}</code>, {o.state})
              </li>
            ))}
          </ul>
          <p class="sub">
            They have no manifest. <code>archy up --remove-orphans</code> removes them.
          </p>
        </>
      )}
    </section>
  );
}

function passSummary(p: PassReport): string {
  if (!p.observed) return `could not observe podman: ${p.error ?? "unknown error"}`;
  const changed = p.actions.filter((a) => a.ok).length;
  return `${p.converged.length} converged, ${changed} changed, ${p.failures.length} failed (took ${(p.durationMs / 1000).toFixed(1)}s)`;
}

function Daemon({
  daemon,
  now,
  offsetMs,
}: {
  daemon: DaemonInfo | null;
  now: number;
  offsetMs: number;
}) {
  const pass = daemon?.lastPass ?? null;
  const reachable = pass === null ? null : pass.observed;
  return (
    <section id="daemon" aria-labelledby="daemon-title">
      <h2 id="daemon-title">Daemon</h2>
      {!daemon ? (
        <p class="empty">Loading…</p>
      ) : (
        <dl class="facts">
          <dt>Running since</dt>
          <dd data-field="started-at">
            {localTime(daemon.startedAt)} (
            {ago(daemon.startedAt, now, offsetMs).replace(" ago", "")})
          </dd>
          <dt>PID · version</dt>
          <dd>
            {daemon.pid} · archy {daemon.version}
          </dd>
          <dt>Podman</dt>
          <dd data-field="podman" class={reachable === false ? "tone-bad" : ""}>
            {reachable === false ? (
              <>
                <span aria-hidden="true">✕ </span>not reachable at the last pass (podman{" "}
                {daemon.podman})
              </>
            ) : reachable ? (
              <>
                <span aria-hidden="true">✓ </span>reachable, podman {daemon.podman}
              </>
            ) : (
              <>podman {daemon.podman} (no pass yet)</>
            )}
          </dd>
          <dt>Last pass</dt>
          <dd data-field="last-pass">
            {pass ? (
              <>
                {ago(pass.startedAt, now, offsetMs)}: {passSummary(pass)}
              </>
            ) : (
              "none yet"
            )}
          </dd>
          <dt>Passes</dt>
          <dd data-field="passes">{daemon.passes}</dd>
          <dt>Previous run</dt>
          <dd>
            {daemon.previousRun
              ? daemon.previousRun.ended === "reboot"
                ? "ended with a reboot of the host"
                : `crashed (PID ${daemon.previousRun.pid ?? "?"})`
              : "ended cleanly (or there was none)"}
          </dd>
          {daemon.notices.length > 0 && (
            <>
              <dt>Notices</dt>
              <dd>
                <ul class="notices">
                  {daemon.notices.map((n, i) => (
                    <li key={i} class="tone-warn">
                      <span aria-hidden="true">! </span>
                      {n}
                    </li>
                  ))}
                </ul>
              </dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}

function Recovery({ daemon }: { daemon: DaemonInfo | null }) {
  const r = daemon?.recovery ?? null;
  return (
    <section id="recovery" aria-labelledby="recovery-title">
      <h2 id="recovery-title">Last recovery</h2>
      {!daemon ? (
        <p class="empty">Loading…</p>
      ) : !r ? (
        <p class="empty">
          {daemon.previousRun
            ? "The previous run did not end cleanly, but there was no snapshot to recover from."
            : "None needed: the previous run ended cleanly."}
        </p>
      ) : (
        <>
          <p>
            After a {r.after} of the previous run, at {localTime(r.at)}:
          </p>
          <dl class="facts">
            <dt>Recovered</dt>
            <dd data-field="recovered">{r.recovered.length ? r.recovered.join(", ") : "none"}</dd>
            <dt>Already running</dt>
            <dd data-field="already-running">
              {r.alreadyRunning.length ? r.alreadyRunning.join(", ") : "none"}
            </dd>
            {r.skipped.length > 0 && (
              <>
                <dt>Skipped</dt>
                <dd>
                  <ul>
                    {r.skipped.map((s) => (
                      <li key={s.name}>
                        {s.name}: {s.reason}
                      </li>
                    ))}
                  </ul>
                </dd>
              </>
            )}
            <dt>Failed</dt>
            <dd data-field="failed" class={r.failed.length ? "tone-bad" : ""}>
              {r.failed.length === 0 ? (
                "none"
              ) : (
                <ul>
                  {r.failed.map((f) => (
                    <li key={f.name}>
                      <span aria-hidden="true">✕ </span>
                      {f.name}: {f.error}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </dl>
        </>
      )}
    </section>
  );
}
