// A fault-injecting podman: an executable that archy is given as ARCHY_PODMAN.
// It wraps the real podman and, for a configurable share of calls, fails the
// way a sick podman does. Its configuration is a JSON file it reads again on
// every call, so a test turns faults on and off while a daemon runs.
import { spawnSync } from "node:child_process";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What one call of an ordinary podman command may suffer. */
export type CallFault =
  /** Exit 125 with a podman-like `Error: …` on stderr; nothing is done. */
  | "fail"
  /** No output, no exit for `hangMs`: archy's timeout has to kill it. */
  | "hang"
  /** The real call runs; its stdout is cut short (exit code kept). */
  | "truncate"
  /** The real call runs; its stdout is replaced by text that is no JSON. */
  | "garbage";

/** What a `podman events` call may suffer. */
export type EventsFault =
  /** Exits 125 at once with a podman-like error. */
  | "fail"
  /** Streams real events for a while (`eventsDieAfterMs`), then exits 125. */
  | "die"
  /** Stays alive and silent for ever: no event ever comes out. */
  | "stall";

export interface FaultConfig {
  /** The share of calls (0..1) that suffer a fault; 0 turns faults off. */
  share: number;
  /** Seeds the draws: call number n of a seed always draws the same. */
  seed: number;
  /** Relative weights of the faults of ordinary calls. */
  calls: Record<CallFault, number>;
  /** Relative weights of the faults of `podman events`. */
  events: Record<EventsFault, number>;
  /** How long a hanging call sleeps (longer than archy's timeout). */
  hangMs: number;
  /** A dying `podman events` lives for a time drawn in [min, max] ms. */
  eventsDieAfterMs: [number, number];
  /** Subcommands that never fault (none by default). */
  spare: string[];
}

export const DEFAULT_FAULTS: FaultConfig = {
  share: 0,
  seed: 1,
  calls: { fail: 1, hang: 1, truncate: 1, garbage: 1 },
  events: { fail: 1, die: 1, stall: 1 },
  hangMs: 60_000,
  eventsDieAfterMs: [500, 5_000],
  spare: [],
};

/** One line of the wrapper's log: every call, with what it suffered. */
export interface FaultRecord {
  /** The call's number (unique across concurrent calls). */
  n: number;
  at: number;
  /** The podman subcommand (`ps`, `events`, `container`, …). */
  command: string;
  /** Its arguments (the first 8). */
  args: string[];
  fault: CallFault | EventsFault | "none";
}

export interface FaultyPodman {
  /** The executable: give it to archy as ARCHY_PODMAN. */
  path: string;
  /** The folder holding the executable, its config, its counter and its log. */
  dir: string;
  /** The real podman it runs. */
  realPodman: string;
  /** The configuration in force now. */
  config(): Promise<FaultConfig>;
  /** Changes the configuration; the next call reads it. */
  configure(change: Partial<FaultConfig>): Promise<void>;
  /** Every call so far, in the order they were logged. */
  records(): Promise<FaultRecord[]>;
}

/**
 * The wrapper itself: a Node program (so that the draws, the truncation and
 * the signal forwarding need no shell tricks). A call without a fault runs
 * the real podman with the wrapper's stdio, forwarding SIGTERM/SIGINT/SIGHUP,
 * so archy's timeouts and aborts reach the real process.
 */
const WRAPPER = String.raw`
import { spawn } from "node:child_process";
import { appendFileSync, closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";

const DIR = __DIR__;
const REAL = __REAL__;
const cfg = JSON.parse(readFileSync(DIR + "/config.json", "utf8"));
const argv = process.argv.slice(2);

// Global options that take a value: the subcommand is the first word after them.
const VALUED = new Set(["--root", "--runroot", "--tmpdir", "--cgroup-manager", "--runtime",
  "--storage-driver", "--storage-opt", "--log-level", "--url", "--connection", "--identity",
  "--events-backend", "--conmon", "--network-cmd-path", "--network-config-dir", "--volumepath",
  "--hooks-dir", "--module", "--imagestore", "--db-backend", "--config", "--runtime-flag"]);
let command = "";
let args = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a.startsWith("-")) { if (VALUED.has(a)) i++; continue; }
  command = a;
  args = argv.slice(i + 1, i + 9);
  break;
}

// The call's number: the first free claim file from the counter's hint on.
function claim() {
  let n = 0;
  try { n = Number(readFileSync(DIR + "/next", "utf8")) || 0; } catch (e) { if (e.code !== "ENOENT") throw e; }
  for (;;) {
    try { closeSync(openSync(DIR + "/calls/" + n, "wx")); break; }
    catch (e) { if (e.code !== "EEXIST") throw e; n++; }
  }
  writeFileSync(DIR + "/next", String(n + 1));
  if (n >= 2000) {
    try { unlinkSync(DIR + "/calls/" + (n - 2000)); } catch (e) { if (e.code !== "ENOENT") throw e; }
  }
  return n;
}
const n = claim();
// Uniform draws in [0, 1) from the seed, the call number and a salt.
const draw = (salt) =>
  createHash("sha256").update(cfg.seed + ":" + n + ":" + salt).digest().readUInt32BE(0) / 2 ** 32;
const pick = (weights, r) => {
  const entries = Object.entries(weights).filter(([, w]) => w > 0);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = r * total;
  for (const [k, w] of entries) { if ((x -= w) < 0) return k; }
  return entries[entries.length - 1]?.[0] ?? "none";
};
const isEvents = command === "events";
const faulty = !cfg.spare.includes(command) && draw("share") < cfg.share;
const fault = !faulty ? "none" : pick(isEvents ? cfg.events : cfg.calls, draw("kind"));
appendFileSync(DIR + "/faults.log", JSON.stringify({ n, at: Date.now(), command, args, fault }) + "\n");

const ERRORS = [
  "Error: acquiring lock 3 for container: file exists",
  "Error: database is locked",
  "Error: OCI runtime error: runc: exec failed: signal: killed",
  "Error: writing to file \"/run/libpod/exits/tmp\": no space left on device",
  "Error: netavark: code: 1, msg: iptables: Resource temporarily unavailable",
  "Error: container storage is busy: resource temporarily unavailable",
];
const GARBAGE = [
  "Error: {\"cause\":\"internal libpod error\"",
  "<html><body>502 Bad Gateway</body></html>",
  "\u0000\u0001\u0002\u00ff\u00fe garbled \u0007",
  "WARN[0000] The cgroupv2 manager is set to systemd but there is no systemd user session available",
  "}{][",
];

function real(capture) {
  const child = spawn(REAL, argv, { stdio: ["inherit", capture ? "pipe" : "inherit", "inherit"] });
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  const chunks = [];
  child.stdout?.on("data", (d) => chunks.push(d));
  child.on("error", (e) => { process.stderr.write("Error: " + e.message + "\n"); process.exit(127); });
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, out: Buffer.concat(chunks) })));
}
function end({ code, signal }) {
  if (signal) { process.removeAllListeners(signal); process.kill(process.pid, signal); }
  else process.exit(code ?? 1);
}
const sleepFor = (ms) => setTimeout(() => process.exit(0), ms);

if (fault === "none") end(await real(false));
else if (fault === "fail") {
  process.stderr.write(ERRORS[Math.floor(draw("error") * ERRORS.length)] + "\n");
  process.exit(125);
} else if (fault === "hang") sleepFor(cfg.hangMs);
else if (fault === "stall") setInterval(() => undefined, 1 << 30);
else if (fault === "die") {
  const [min, max] = cfg.eventsDieAfterMs;
  const child = spawn(REAL, argv, { stdio: "inherit" });
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(sig, () => { child.kill(sig); process.exit(143); });
  setTimeout(() => {
    child.kill("SIGKILL");
    process.stderr.write("Error: reading events: unexpected EOF\n");
    process.exit(125);
  }, min + draw("life") * (max - min));
} else {
  const result = await real(true);
  const out = result.out;
  const text = fault === "truncate"
    ? out.subarray(0, Math.floor(out.length * draw("cut") * 0.9))
    : Buffer.from(GARBAGE[Math.floor(draw("garbage") * GARBAGE.length)] + "\n");
  process.stdout.write(text, () => end(result));
}
`;

/** The real podman's absolute path (the wrapper must not find itself on PATH). */
function realPodmanPath(): string {
  const r = spawnSync("sh", ["-c", "command -v podman"], { encoding: "utf8" });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path.startsWith("/")) throw new Error("podman is not on PATH");
  return path;
}

/**
 * Writes a fault-injecting podman into `dir` (faults off until `configure`
 * sets a share) and returns how to drive it. `realPodman` defaults to the
 * podman on PATH.
 */
export async function createFaultyPodman(
  dir: string,
  opts: { realPodman?: string; config?: Partial<FaultConfig> } = {},
): Promise<FaultyPodman> {
  await mkdir(join(dir, "calls"), { recursive: true });
  const configPath = join(dir, "config.json");
  const path = join(dir, "podman.mjs");
  const realPodman = opts.realPodman ?? realPodmanPath();
  const script = WRAPPER.replace("__DIR__", JSON.stringify(dir)).replace(
    "__REAL__",
    JSON.stringify(realPodman),
  );
  // Written aside, then renamed: a call never reads a half-written config.
  const write = async (c: FaultConfig) => {
    await writeFile(`${configPath}.tmp`, JSON.stringify(c));
    await rename(`${configPath}.tmp`, configPath);
  };
  const config = async () => JSON.parse(await readFile(configPath, "utf8")) as FaultConfig;
  const configure = async (change: Partial<FaultConfig>) =>
    write({ ...(await config()), ...change });
  await write({ ...DEFAULT_FAULTS, ...opts.config });
  await writeFile(path, `#!${process.execPath}\n${script}`);
  await chmod(path, 0o755);
  await writeFile(join(dir, "faults.log"), "");
  return {
    path,
    dir,
    realPodman,
    config,
    configure,
    async records() {
      const text = await readFile(join(dir, "faults.log"), "utf8");
      return text
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as FaultRecord);
    },
  };
}
