// The daemon's own sections: its facts (uptime, podman, last pass, notices)
// and what it recovered after the previous run.
import { ago, localTime } from "./format.js";
import type { DaemonInfo, ReconcileReport } from "./types.js";

function passSummary(p: ReconcileReport): string {
  if (!p.observed) return `could not observe podman: ${p.error ?? "unknown error"}`;
  const changed = p.actions.filter((a) => a.ok).length;
  return `${p.converged.length} converged, ${changed} changed, ${p.failures.length} failed (took ${(p.durationMs / 1000).toFixed(1)}s)`;
}

export function Daemon({
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

export function Recovery({ daemon }: { daemon: DaemonInfo | null }) {
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
