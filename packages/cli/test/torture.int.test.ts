// Issue 10: the daemon kill -9 torture. A stack of six apps under a running
// daemon; each round a random mix of owner and world actions, a kill of the
// daemon (or its whole process group, or a clean SIGTERM) at a random moment,
// a new daemon, and the invariants (see test/chaos/invariants.ts). Seeded:
// ARCHY_TORTURE_SEED=<seed> replays a run's rounds; ARCHY_TORTURE_ROUNDS
// changes their number (25 by default).
import { describe, expect, it } from "vitest";
import { podmanAvailability } from "@archy/test-utils";
import { formatViolation, randomSeed, runTorture } from "./chaos/index.js";

const podman = podmanAvailability();
const seed = Number(process.env.ARCHY_TORTURE_SEED ?? randomSeed());
const rounds = Number(process.env.ARCHY_TORTURE_ROUNDS ?? 25);

describe.skipIf(podman.skipReason !== null)(
  `daemon kill -9 torture ${podman.skipReason ?? ""}`,
  () => {
    it(`${rounds} rounds of random actions and kills leave every invariant holding (seed ${seed})`, async () => {
      console.log(
        `torture: seed ${seed}, ${rounds} rounds (replay with ARCHY_TORTURE_SEED=${seed})`,
      );
      const result = await runTorture({
        rounds,
        seed,
        log: (line) => console.log(`torture: ${line}`),
      });
      expect(result.rounds).toBe(rounds);
      expect(result.violations.map(formatViolation).join("\n")).toBe("");
      expect(result.convergeMs).toHaveLength(rounds);
    }, 480_000);
  },
);
