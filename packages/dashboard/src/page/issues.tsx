// What archy will not reconcile: manifest errors (file:line:column, field path,
// message) and orphans (containers labelled for an app without a manifest).
import type { PageState } from "./state.js";

export function ManifestErrors({ state }: { state: PageState }) {
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

export function Orphans({ state }: { state: PageState }) {
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
