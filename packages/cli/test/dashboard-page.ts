// The status page as the browser tests see it: its DOM hooks, a recorder of
// every phase a row shows (so a transitional phase that lasts a few hundred
// milliseconds is seen, not sampled), and waits that poll the DOM.
import type { BrowserContext, Page } from "playwright-core";

export const row = (id: string) => `[data-app="${id}"]`;
export const field = (id: string, name: string) => `${row(id)} [data-field="${name}"]`;
export const button = (id: string, action: string) => `${row(id)} button[data-action="${action}"]`;
export const BANNER = '[data-testid="connection"]';

/** One change of a row's phase field, as the page's MutationObserver saw it. */
export interface PhaseChange {
  app: string;
  phase: string | null;
  /** performance.now() of the page. */
  t: number;
}

export interface Recording {
  /** Random per document load: a reload gives a new one. */
  loadId: number;
  phases: PhaseChange[];
  clicks: { t: number; app: string | null; action: string | null }[];
  marks: Record<string, number>;
}

// Runs in the page before its own scripts (an init script: no DOM types here).
const RECORDER = `(() => {
  const rec = { loadId: Math.random(), phases: [], clicks: [], marks: {} };
  const last = new Map();
  const read = () => {
    for (const el of document.querySelectorAll("[data-app]")) {
      const app = el.getAttribute("data-app");
      const f = el.querySelector('[data-field="phase"]');
      const phase = f ? f.textContent : null;
      if (last.get(app) !== phase) {
        last.set(app, phase);
        rec.phases.push({ app, phase, t: performance.now() });
      }
    }
  };
  new MutationObserver(read).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
  document.addEventListener("click", (e) => {
    const t = e.target instanceof Element ? e.target : null;
    const a = t && t.closest("[data-app]");
    const b = t && t.closest("[data-action]");
    rec.clicks.push({ t: performance.now(), app: a && a.getAttribute("data-app"),
      action: b && b.getAttribute("data-action") });
  }, true);
  window.__archyRecording = rec;
})();`;

/** Installs the recorder in every page the context opens from now on. */
export const installRecorder = (context: BrowserContext) =>
  context.addInitScript({ content: RECORDER });

export const recording = (page: Page) =>
  page.evaluate("window.__archyRecording") as Promise<Recording>;

/** Notes the page's clock under `name` (for example right before a `podman kill`). */
export const mark = (page: Page, name: string) =>
  page.evaluate(
    `window.__archyRecording.marks[${JSON.stringify(name)}] = performance.now()`,
  ) as Promise<number>;

/** The phase field's exact textContent (null without the row or field). */
export const phaseOf = (page: Page, id: string) =>
  page.evaluate(
    `document.querySelector(${JSON.stringify(field(id, "phase"))})?.textContent ?? null`,
  ) as Promise<string | null>;

/** The first whole number in the row's restarts field. */
export async function restartsOf(page: Page, id: string): Promise<number> {
  const text = (await page.locator(field(id, "restarts")).textContent()) ?? "";
  const n = /\d+/.exec(text);
  if (!n) throw new Error(`${id}'s restarts field holds no number: ${JSON.stringify(text)}`);
  return Number(n[0]);
}

/**
 * Evaluates `expression` in the page every `intervalMs` until it is truthy.
 * Not `page.waitForFunction`: that evaluates a string predicate with `eval`,
 * which the page's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
 */
export async function poll(
  page: Page,
  expression: string,
  opts: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await page.evaluate(expression)) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

/** Polls the DOM until the row's phase field reads exactly `phase`. */
export async function waitPhase(page: Page, id: string, phase: string, timeoutMs = 15_000) {
  await poll(
    page,
    `document.querySelector(${JSON.stringify(field(id, "phase"))})?.textContent === ${JSON.stringify(phase)}`,
    { timeoutMs, what: `${id}'s phase to read ${phase}` },
  ).catch(async (error: Error) => {
    throw new Error(`${error.message} (it reads ${JSON.stringify(await phaseOf(page, id))})`);
  });
}

/** Polls the DOM until the connection banner's data-state is `state`. */
export async function waitBanner(page: Page, state: "live" | "reconnecting", timeoutMs = 15_000) {
  const banner = `document.querySelector(${JSON.stringify(BANNER)})?.getAttribute("data-state")`;
  await poll(page, `${banner} === ${JSON.stringify(state)}`, {
    timeoutMs,
    what: `the connection banner to turn ${state}`,
  }).catch(async (error: Error) => {
    throw new Error(`${error.message} (data-state=${JSON.stringify(await page.evaluate(banner))})`);
  });
}

/** The phases a row showed after page time `since`, in order. */
export const phasesSince = (rec: Recording, id: string, since: number) =>
  rec.phases.filter((p) => p.app === id && p.t >= since);
