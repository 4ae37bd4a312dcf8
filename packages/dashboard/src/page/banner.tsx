// The connection banner at the top of the page and the polite live region that
// announces phase changes (and failed requests) to screen readers.
import type { PageState } from "./state.js";

export function Connection({ state }: { state: PageState }) {
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

export function Announcer({ state }: { state: PageState }) {
  return (
    <div class="sr-only" aria-live="polite" aria-relevant="additions text" data-testid="announcer">
      {state.announcements.map((a) => (
        <p key={a.id}>{a.text}</p>
      ))}
    </div>
  );
}
