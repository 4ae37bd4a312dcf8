import type { ContainerState } from "@archy/runtime-podman";
import { FakeRuntime, VirtualClock } from "@archy/runtime-podman/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DesiredStateStore } from "../state/desired.js";
import { Reconciler } from "../reconciler.js";
import { configHash, LABEL_APP, LABEL_HASH, toContainerSpec } from "../manifest/spec.js";
import { makeApp, settle, START, tempState } from "../test-helpers.js";

type Initial =
  "missing" | "current" | "stale" | "exited0" | "exited1" | "created" | "paused" | "unknown";

const appArb = (i: number) =>
  fc.record({
    deps: fc.subarray(Array.from({ length: i }, (_, j) => `a${j}`)),
    initial: fc.constantFrom<Initial>(
      "missing",
      "current",
      "stale",
      "exited0",
      "exited1",
      "created",
      "paused",
      "unknown",
    ),
    desired: fc.constantFrom("running", "stopped", "running"),
    policy: fc.constantFrom("always", "on-failure", "no"),
    health: fc.boolean(),
  });

const stackArb = fc
  .integer({ min: 1, max: 5 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => appArb(i))));

describe("convergence (property)", () => {
  it(
    "from any observed state, two passes converge and a converged state plans no action",
    { timeout: 120_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(stackArb, async (stack) => {
          const state = await tempState();
          const clock = new VirtualClock(START);
          const fake = new FakeRuntime({ clock });
          try {
            const apps = stack.map((s, i) =>
              makeApp(`a${i}`, {
                dir: state.dir,
                deps: s.deps,
                policy: s.policy as "always",
                ...(s.health ? { health: '{ cmd: ["check"], interval: 10ms }' } : {}),
              }),
            );
            for (const [i, s] of stack.entries()) {
              const app = apps[i]!;
              const imageId = fake.addImage(app.container.image);
              if (s.initial === "missing") continue;
              const spec = toContainerSpec(app);
              const hash = s.initial === "stale" ? "stale" : configHash(app, imageId, {});
              spec.labels = { ...spec.labels, [LABEL_APP]: app.id, [LABEL_HASH]: hash };
              const containerState: ContainerState =
                s.initial === "current" || s.initial === "stale"
                  ? "running"
                  : s.initial.startsWith("exited")
                    ? "exited"
                    : (s.initial as ContainerState);
              fake.addContainer(spec, containerState, {
                imageId,
                ...(containerState === "exited"
                  ? { exitCode: s.initial === "exited0" ? 0 : 1 }
                  : {}),
              });
            }
            // The owner's intents, as persisted before the reconciler starts.
            await new DesiredStateStore(state.dir).setMany(
              Object.fromEntries(
                stack.map((s, i) => [`a${i}`, s.desired as "running" | "stopped"]),
              ),
            );
            const r = new Reconciler({
              runtime: fake,
              apps,
              stateDir: state.dir,
              startSettleMs: 0,
              clock,
            });
            await settle(clock, r.reconcileAll());
            await settle(clock, r.reconcileAll());
            const { plan } = await settle(clock, r.plan());
            expect(plan.actions, JSON.stringify({ stack, plan })).toEqual([]);
            const mutating = fake.mutatingCalls().length;
            const third = await settle(clock, r.reconcileAll());
            expect(third.actions).toEqual([]);
            expect(fake.mutatingCalls().length).toBe(mutating);
            // Every app desired running that can run (its policy and its whole dependency chain allow it) is running;
            // every app desired stopped is not.
            const canRun: boolean[] = [];
            for (const [i, s] of stack.entries()) {
              const own =
                s.desired === "running" &&
                (s.policy === "always" ||
                  !(s.initial === "exited0" || (s.initial === "exited1" && s.policy === "no")));
              canRun[i] = own && s.deps.every((d) => canRun[Number(d.slice(1))]);
              const c = fake.containers.get(`archy-a${i}`);
              if (s.desired === "stopped") expect(c?.state).not.toBe("running");
              else if (canRun[i]) expect(c?.state, `a${i} ${JSON.stringify(s)}`).toBe("running");
            }
          } finally {
            fake.dispose();
            await state.remove();
          }
        }),
        { numRuns: 60 },
      );
    },
  );
});
