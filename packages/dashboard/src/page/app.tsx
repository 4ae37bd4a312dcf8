// The status page's view: the App takes the state from the controller's store
// (state.ts) and the page's clock, draws the header and the sections
// (banner.tsx, apps.tsx, issues.tsx, daemon.tsx) and hands the owner's clicks
// to the controller. No logic in the view that a unit test would want.
import { useEffect, useState } from "preact/hooks";
import { Apps } from "./apps.js";
import { Announcer, Connection } from "./banner.js";
import type { Controller } from "./controller.js";
import { Daemon, Recovery } from "./daemon.js";
import { ManifestErrors, Orphans } from "./issues.js";
import { pageTitle, type PageState } from "./state.js";

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
      <Announcer state={state} />
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
