import type { Context } from "./context.js";

export interface Spinner {
  text(t: string): void;
  stop(): void;
}

/** Progress on stderr, only on a TTY and never with --json or --quiet. */
export function spinner(ctx: Context, text: string): Spinner {
  if (!process.stderr.isTTY || ctx.json || ctx.quiet) return { text() {}, stop() {} };
  let ora: { text: string; stop(): void } | null = null;
  let stopped = false;
  void import("ora").then(({ default: make }) => {
    if (!stopped) ora = make({ text, stream: process.stderr }).start();
  });
  return {
    text(t) {
      if (ora) ora.text = t;
    },
    stop() {
      stopped = true;
      ora?.stop();
    },
  };
}
