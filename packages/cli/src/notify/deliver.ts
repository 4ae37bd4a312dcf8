// One message to one target, within a time allowance: a webhook's JSON POST
// (signed with HMAC-SHA256 when it has a secret), an ntfy topic (the summary
// as the body; title, priority and tags as headers), or a command (the JSON
// on its stdin; exit 0 is delivered). What the target answered, in words.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { hostname } from "node:os";
import type { Notice } from "./alerts.js";
import type { Target } from "./config.js";

export interface Delivery {
  ok: boolean;
  /** What the target answered: `HTTP 204`, `exit 0`, or why it did not. */
  answer: string;
}

/** The JSON a webhook and a command get. */
export const body = (n: Notice) => JSON.stringify({ ...n, host: hostname(), source: "archy" });

/** The header a webhook with a secret gets: `sha256=<hex HMAC of the body>`. */
export const SIGNATURE_HEADER = "x-archy-signature";
export const signature = (secret: string, text: string) =>
  `sha256=${createHmac("sha256", secret).update(text).digest("hex")}`;

const PRIORITY = { open: "high", resolved: "default", info: "default" } as const;
const TAGS = { open: "warning", resolved: "white_check_mark", info: "information_source" } as const;

async function post(
  url: string,
  text: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Delivery> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body: text,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
    await res.arrayBuffer().catch(() => undefined);
    return { ok: res.ok, answer: `HTTP ${res.status}` };
  } catch (error) {
    type Cause = { code?: string; message?: string; errors?: Cause[] };
    const e = error as Error & { cause?: Cause };
    if (e.name === "TimeoutError") return { ok: false, answer: `no answer within ${timeoutMs} ms` };
    // fetch's own "fetch failed" says nothing: the socket's error does (an AggregateError for a name of two addresses).
    const cause = e.cause?.errors?.[0] ?? e.cause;
    return { ok: false, answer: cause?.code ?? cause?.message ?? e.message };
  }
}

function run(argv: string[], input: string, timeoutMs: number): Promise<Delivery> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    child.stdin!.on("error", () => undefined); // a command that does not read its stdin
    child.stdin!.end(input);
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ ok: false, answer: error.message });
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const why = stderr.trim().split("\n").at(-1);
      if (signal)
        resolve({ ok: false, answer: `killed by ${signal} (no end within ${timeoutMs} ms)` });
      else
        resolve({ ok: code === 0, answer: `exit ${code}${code !== 0 && why ? `: ${why}` : ""}` });
    });
  });
}

export async function deliver(
  target: Target,
  notice: Notice,
  timeoutMs: number,
): Promise<Delivery> {
  switch (target.kind) {
    case "webhook": {
      const text = body(notice);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (target.secret) headers[SIGNATURE_HEADER] = signature(target.secret, text);
      return post(target.url, text, headers, timeoutMs);
    }
    case "ntfy": {
      const headers: Record<string, string> = {
        title: `archy: ${notice.app ?? hostname()} ${notice.problem} (${notice.state})`,
        priority: PRIORITY[notice.state],
        tags: TAGS[notice.state],
      };
      if (target.token) headers.authorization = `Bearer ${target.token}`;
      return post(target.url, notice.summary, headers, timeoutMs);
    }
    case "command":
      return run(target.argv, body(notice), timeoutMs);
  }
}
