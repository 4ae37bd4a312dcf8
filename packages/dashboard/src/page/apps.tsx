// The apps table: one row per app with its phase, health and the owner's
// buttons, and beneath it, when open, the app's log panel.
import { useRef } from "preact/hooks";
import { ago, countdown, humanDuration, spokenDuration, uptimeMs } from "./format.js";
import { LogPanel } from "./log-panel.js";
import { HEALTH_LOOK, healthText, OPS, phaseLook, STOP_REASONS } from "./phase.js";
import { busy, type AppRow, type PageState } from "./state.js";
import type { Op } from "./types.js";

const OP_LABEL: Record<Op, string> = { start: "Start", stop: "Stop", restart: "Restart" };

interface AppsProps {
  state: PageState;
  now: number;
  openLogs: ReadonlySet<string>;
  onToggleLogs(id: string): void;
  onOperate(id: string, op: Op): void;
}

/** The table's column headings, in order (the actions column follows). */
const COLUMNS = [
  "App",
  "Phase",
  "Health",
  "Restarts",
  "Uptime",
  "Image",
  "Stop reason",
  "Last error",
  "Depends on",
];

export function Apps({ state, now, openLogs, onToggleLogs, onOperate }: AppsProps) {
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
              {COLUMNS.map((name) => (
                <th key={name} scope="col" role="columnheader">
                  {name}
                </th>
              ))}
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
          {app.update && (
            <span class="sub" data-field="update">
              {app.update.state === "available"
                ? "update available"
                : app.update.state === "updating"
                  ? "updating"
                  : `rolled back (${app.update.reason ?? "?"})`}
            </span>
          )}
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
