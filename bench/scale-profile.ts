// Where archy's time goes at scale, as a timeline of every podman process the
// daemon starts (a logging wrapper as ARCHY_PODMAN) against the moments that
// matter:
//
// - recovery: daemon spawn, each podman call (start, end, exit code, argv),
//   the moment podman's ps first shows every app running, the moment the
//   daemon's API first reports every app running;
// - idle: the podman calls an idle daemon makes over a minute with every app
//   http-checked, and its CPU.
//
// bash scripts/pnpm.sh exec tsx bench/scale-profile.ts [apps=100] [idle seconds=60]
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { createPodmanStore, tempDir } from "@archy/test-utils";
import { cpuOf, processCpu } from "./proc.js";
import { Fleet, freePorts } from "./scale-fleet.js";

const N = Number(process.argv[2] ?? 100);
const IDLE_SECONDS = Number(process.argv[3] ?? 60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Call {
  start: number;
  end: number | null;
  exitCode: string;
  argv: string;
}

/** The wrapper's log: `<start ns> <end ns|-> <exit code> <argv>` per call, in ms since the epoch. */
async function readCalls(log: string): Promise<Call[]> {
  const text = await readFile(log, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [s, e, rc, ...argv] = line.split(" ");
      return {
        start: Number(s) / 1e6,
        end: e === "-" ? null : Number(e) / 1e6,
        exitCode: rc ?? "?",
        argv: argv
          .join(" ")
          .replace(/--root \S+ --runroot \S+ /, "")
          .slice(0, 110),
      };
    })
    .sort((a, b) => a.start - b.start);
}

function printCalls(calls: Call[], t0: number, marks: [string, number][]): void {
  const rows = [
    ...calls.map((c) => ({
      at: c.start - t0,
      text: `+${(c.start - t0).toFixed(0).padStart(6)} ms  ${c.end === null ? "   (stream)" : `${(c.end - c.start).toFixed(0).padStart(6)} ms`}  rc ${c.exitCode}  podman ${c.argv}`,
    })),
    ...marks.map(([what, at]) => ({
      at: at - t0,
      text: `+${(at - t0).toFixed(0).padStart(6)} ms  ---- ${what}`,
    })),
  ].sort((a, b) => a.at - b.at);
  for (const r of rows) console.log(r.text);
}

/** Calls per podman subcommand, with their wall time in all. */
function summarise(calls: Call[]): void {
  const byCommand = new Map<string, { n: number; ms: number }>();
  for (const c of calls) {
    const key = c.argv.split(" ").slice(0, 2).join(" ");
    const e = byCommand.get(key) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += c.end === null ? 0 : c.end - c.start;
    byCommand.set(key, e);
  }
  for (const [k, v] of byCommand)
    console.log(`podman ${k}: ${v.n} calls, ${v.ms.toFixed(0)} ms wall in all`);
}

const store = await createPodmanStore();
const dirs = await tempDir("archy-bench-profile-");
try {
  const log = join(dirs.path, "podman-calls.log");
  const wrapper = join(dirs.path, "podman");
  const real = (await execa("sh", ["-c", "command -v podman"])).stdout.trim();
  await writeFile(
    wrapper,
    [
      "#!/bin/sh",
      // A stream is exec'd (the daemon's kill must reach podman itself): its start only.
      `if [ "$5" = events ]; then echo "$(date +%s%N) - - $*" >> ${log}; exec ${real} "$@"; fi`,
      "s=$(date +%s%N)",
      `${real} "$@"`,
      "rc=$?",
      `echo "$s $(date +%s%N) $rc $*" >> ${log}`,
      "exit $rc",
      "",
    ].join("\n"),
  );
  await chmod(wrapper, 0o755);
  const fleet = new Fleet(store, dirs.path, "app", await freePorts(N));
  (fleet.env as Record<string, string>).ARCHY_PODMAN = wrapper;
  await fleet.writeManifests({ httpCheck: false });
  console.error(`profile: cold up of ${N} apps`);
  await writeFile(log, "");
  const c0 = Date.now();
  await fleet.archy(["up"]);
  const c1 = Date.now();
  const coldCalls = await readCalls(log);
  console.log(`\n== cold up of ${N} apps: ${c1 - c0} ms`);
  summarise(coldCalls);
  const runs = coldCalls.filter((c) => c.argv.startsWith("run "));
  const lastRunEnd = Math.max(...runs.map((c) => c.end ?? c.start));
  console.log(
    `first run -d at +${(runs[0]!.start - c0).toFixed(0)} ms, last one done at +${(lastRunEnd - c0).toFixed(0)} ms; ps while runs were in flight: ${
      coldCalls.filter((c) => c.argv.startsWith("ps ") && c.start < lastRunEnd).length
    }`,
  );
  printCalls(
    coldCalls.filter((c) => !c.argv.startsWith("run ")),
    c0,
    [["archy up returned", c1]],
  );
  await fleet.ensureDaemon();
  await fleet.archy(["snapshot", "save"]);
  await fleet.crashDaemon();
  await fleet.reboot();
  await writeFile(log, "");

  console.error("profile: recovery");
  const t0 = Date.now();
  fleet.startDaemon();
  let allPs = 0;
  let allDaemon = 0;
  while (allPs === 0 || allDaemon === 0) {
    if (allPs === 0) {
      const running = await fleet.runningNames();
      if (fleet.names.every((n) => running.has(n))) allPs = Date.now();
    }
    if (allDaemon === 0 && (await fleet.daemonSaysAllRunning())) allDaemon = Date.now();
    if (Date.now() - t0 > 300_000) throw new Error("recovery did not finish in 5 minutes");
    await sleep(50);
  }
  await sleep(3_000);
  console.log(`\n== recovery of ${N} apps (the bench's own ps polls are not listed)`);
  printCalls(await readCalls(log), t0, [
    ["podman's ps: every app running", allPs],
    ["the daemon's API: every app running", allDaemon],
  ]);
  const info = await fleet.api<{ recovery: { recovered: string[] } | null }>("/v1/daemon");
  console.log(`recovered: ${info?.recovery?.recovered.length ?? "?"}`);

  console.error("profile: idle with http checks");
  await fleet.stopDaemon();
  await fleet.writeManifests({ httpCheck: true });
  await fleet.archy(["up"]);
  const child = fleet.startDaemon();
  await fleet.daemonReady();
  await sleep(12_000);
  await writeFile(log, "");
  const cpu0 = processCpu(child.pid!);
  const own0 = cpuOf(child.pid!, false);
  const i0 = Date.now();
  await sleep(IDLE_SECONDS * 1000);
  const cpu1 = processCpu(child.pid!);
  const wall = (Date.now() - i0) / 1000;
  const calls = await readCalls(log);
  console.log(`\n== idle, ${N} http-checked apps, ${IDLE_SECONDS} s`);
  const own = (100 * (cpuOf(child.pid!, false) - own0)) / wall;
  console.log(
    `CPU of a core: the daemon ${own.toFixed(2)} %, its reaped children ${((100 * (cpu1.self - cpu0.self)) / wall - own).toFixed(2)} %, live children ${((100 * (cpu1.live - cpu0.live)) / wall).toFixed(2)} %`,
  );
  summarise(calls);
  await fleet.stopDaemon();
} finally {
  await store.cleanup();
  await dirs.remove();
}
