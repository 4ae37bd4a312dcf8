// End-to-end, issue 10 part 2: the built daemon on a real isolated store,
// running its apps through a podman that fails a third of its calls (exit
// 125, hangs past archy's timeout, truncated or garbage JSON, an event
// stream that dies or stalls), then faults stop. The scenario is shared
// with bench/chaos-faults.ts, which runs it for 5 minutes.
import { describe, expect, it } from "vitest";
import { podmanAvailability, runFaultsScenario } from "@archy/test-utils";
import { bin } from "./harness.js";

const podman = podmanAvailability();

describe.skipIf(podman.skipReason !== null)(
  `a podman that fails ${podman.skipReason ?? ""}`,
  () => {
    it("under 30 % faults the daemon lives, answers within 1 s, recreates nothing and keeps its running set; after, it converges within two intervals with its event stream back", async () => {
      const r = await runFaultsScenario({
        archyBin: bin,
        faultSeconds: 44,
        share: 0.3,
        seed: 10,
        intervalMs: 5_000,
        progress: (line) => process.stderr.write(`faults: ${line}\n`),
        // ARCHY_FAULTS_LOGS=DIR keeps the daemon's log and every podman call for a look.
        ...(process.env.ARCHY_FAULTS_LOGS ? { keepLogsIn: process.env.ARCHY_FAULTS_LOGS } : {}),
      });
      const summary = JSON.stringify({ ...r, daemonStderr: undefined, daemonLog: undefined });
      process.stderr.write(`faults: ${summary}\n`);
      const context = `${summary}\n${r.daemonStderr}\nthe daemon's log, last lines:\n${r.daemonLog}`;

      // The faults happened, of every kind, and the kills too.
      expect(r.calls, context).toBeGreaterThan(50);
      for (const kind of ["fail", "hang", "truncate", "garbage"])
        expect(r.faults[kind], `${kind}: ${context}`).toBeGreaterThan(0);
      expect(r.kills, context).toBeGreaterThanOrEqual(8);

      expect(r.daemonExits, context).toBe(0);
      expect(r.unanswered, context).toBe(0);
      expect(r.requests, context).toBeGreaterThan(200);
      expect(r.worstApiMs, context).toBeLessThan(1_000);
      expect(r.recreated, context).toEqual([]);
      expect(r.snapshots, context).toBeGreaterThan(3);
      expect(r.snapshotLosses, context).toEqual([]);

      expect(r.convergeMs, context).toBeGreaterThanOrEqual(0);
      expect(r.convergeMs, context).toBeLessThanOrEqual(2 * r.intervalMs);
      // The event stream is back: a kill is acted on before an interval pass could.
      expect(r.killNoticedMs.length, context).toBe(2);
      for (const ms of r.killNoticedMs) expect(ms, context).toBeLessThan(1_500);
      expect(r.exitCode, context).toBe(0);
    }, 180_000);
  },
);
