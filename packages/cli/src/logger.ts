import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createColors } from "picocolors";
import pino from "pino";
import { createStream } from "rotating-file-stream";
import type { Logger } from "@archy/reconciler";
import { colorEnabled } from "./output.js";

const LEVELS: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

/** Readable lines for a terminal: "12:00:01 info  web: missing -> starting  key=value". */
function ttyLines(): Writable {
  const c = createColors(colorEnabled(process.stderr));
  const paint: Record<string, (s: string) => string> = {
    debug: c.dim,
    info: c.green,
    warn: c.yellow,
    error: c.red,
    fatal: c.red,
  };
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n")) {
        if (!line) continue;
        try {
          const {
            level,
            time,
            msg,
            pid: _pid,
            hostname: _h,
            ...rest
          } = JSON.parse(line) as Record<string, unknown>;
          const name = LEVELS[level as number] ?? "info";
          const extra = Object.entries(rest)
            .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
            .join(" ");
          process.stderr.write(
            `${c.dim(new Date(time as number).toISOString().slice(11, 19))} ${(paint[name] ?? String)(name.padEnd(5))} ${String(msg)}${extra ? ` ${c.dim(extra)}` : ""}\n`,
          );
        } catch {
          process.stderr.write(`${line}\n`);
        }
      }
      done();
    },
  });
}

/**
 * The daemon's structured log: JSON lines in `<state>/log/archy.log`, rotated
 * at 10 MB (5 kept, gzipped), plus readable lines on stderr when it is a TTY.
 */
export async function createDaemonLogger(
  stateDir: string,
  opts: { tty: boolean; level?: string },
): Promise<{ logger: Logger; close(): Promise<void> }> {
  const dir = join(stateDir, "log");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = createStream("archy.log", {
    path: dir,
    size: "10M",
    maxFiles: 5,
    compress: "gzip",
    mode: 0o600,
  });
  const streams: pino.StreamEntry[] = [{ stream: file }];
  if (opts.tty) streams.push({ stream: ttyLines() });
  const p = pino(
    { level: opts.level ?? "info", base: { pid: process.pid } },
    pino.multistream(streams),
  );
  const logger: Logger = {
    debug: (o, m) => p.debug(o, m),
    info: (o, m) => p.info(o, m),
    warn: (o, m) => p.warn(o, m),
    error: (o, m) => p.error(o, m),
  };
  return {
    logger,
    close: () => new Promise<void>((resolve) => file.end(() => resolve())),
  };
}
