// Debian's Chromium driven by playwright-core, for the status page's browser
// tests and bench/dashboard-idle.ts: no browser is ever downloaded.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { tempDir } from "@archy/test-utils";

/** The Debian `chromium` package's launcher (scripts/setup.sh installs it). */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Headless, as root, on a machine with a closed network: without the
 * background-networking flags Chromium's own connections to Google's hosts
 * are refused (many at a time) and fail every start.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface ChromiumAvailability {
  available: boolean;
  /** Why the browser tests skip; null when they run. */
  skipReason: string | null;
  version: string | null;
}

/**
 * Whether the browser tests can run, as `podmanAvailability` does for podman:
 * under `CI` a missing Chromium throws (the tests must run there); elsewhere
 * they skip, visibly, with this reason.
 */
export function chromiumAvailability(): ChromiumAvailability {
  const probe = existsSync(CHROMIUM)
    ? spawnSync(CHROMIUM, ["--version"], { encoding: "utf8", timeout: 30_000 })
    : null;
  const missing =
    probe === null
      ? `${CHROMIUM} is missing (apt-get install chromium, as scripts/setup.sh does)`
      : probe.status !== 0
        ? `${CHROMIUM} --version failed (${probe.error?.message ?? probe.stderr.trim()})`
        : null;
  if (missing !== null && process.env.CI) {
    throw new Error(`CI is set, so the browser tests must run, but ${missing}`);
  }
  return {
    available: missing === null,
    skipReason: missing === null ? null : `skipped: ${missing}`,
    version: missing === null ? probe!.stdout.trim() : null,
  };
}

/** A console message of type error, or an uncaught exception of a page. */
export interface PageProblem {
  kind: "console" | "pageerror";
  text: string;
  /** The page's address, and the script's for a console message. */
  url: string;
  /** Date.now() when it was seen. */
  at: number;
}

export interface OpenBrowser {
  /** One browser with one profile: its pages share the cookie jar. */
  context: BrowserContext;
  /** Every console error and uncaught exception of every page of the context so far. */
  problems: PageProblem[];
  /** Closes the browser and removes its profile folder. */
  close(): Promise<void>;
}

/**
 * A headless Chromium with a fresh profile in a temporary folder (removed by
 * `close`), collecting console errors and page errors of all its pages.
 */
export async function launchChromium(
  opts: { viewport?: { width: number; height: number } } = {},
): Promise<OpenBrowser> {
  const profile = await tempDir("archy-chromium-");
  const problems: PageProblem[] = [];
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile.path, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: opts.viewport ?? { width: 1280, height: 800 },
      timeout: 60_000,
    });
  } catch (error) {
    await profile.remove();
    throw error;
  }
  context.on("console", (msg) => {
    if (msg.type() !== "error") return;
    problems.push({
      kind: "console",
      text: msg.text(),
      url: `${msg.page()?.url() ?? "?"} (${msg.location().url})`,
      at: Date.now(),
    });
  });
  context.on("weberror", (e) => {
    problems.push({
      kind: "pageerror",
      text: e.error().stack ?? e.error().message,
      url: e.page()?.url() ?? "?",
      at: Date.now(),
    });
  });
  return {
    context,
    problems,
    async close() {
      try {
        await context.close();
      } finally {
        await profile.remove();
      }
    },
  };
}

/** Where the browser tests save their screenshots (gitignored; CI keeps them as artifacts). */
export const ARTIFACTS = fileURLToPath(new URL("artifacts/dashboard", import.meta.url));

/** A full-page screenshot of `page` as `<ARTIFACTS>/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
