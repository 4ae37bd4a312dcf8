// One exit counts once as a failure, whether archy saw it through `podman
// inspect` (a failed start) or `podman ps` (the next pass): they spell the
// start time differently (nanoseconds against whole seconds).
import type { ContainerStatus } from "@archy/runtime-podman";
import { VirtualClock } from "@archy/runtime-podman/testing";
import { describe, expect, it } from "vitest";
import { AppStates } from "./app-state.js";
import { EventBus } from "./event-bus.js";
import { makeApp, START } from "../test-helpers.js";
import { silentLogger } from "../types.js";

const exited = (startedAt: string): ContainerStatus => ({
  id: "c".repeat(64),
  name: "archy-web",
  image: "localhost/web:1",
  imageId: null,
  state: "exited",
  health: null,
  exitCode: 137,
  startedAt,
  finishedAt: "2026-11-22T12:00:05.000Z",
  labels: { "io.archy.app": "web" },
  ports: [],
});

/** Fresh AppStates, and the exit of web's container with a given start, as an observation shows it. */
function observer() {
  const states = new AppStates(new VirtualClock(START), new EventBus(silentLogger), silentLogger);
  const app = makeApp("web");
  const seen = (startedAt: string) =>
    states.observed(
      app,
      { container: exited(startedAt), wantedHash: null, health: null },
      "running",
    );
  return { states, seen };
}

describe("AppStates: an exit is counted once", () => {
  it("a failed start's exit seen by inspect (ns) is not counted again when the next pass's ps (s) shows it", () => {
    const clock = new VirtualClock(START);
    const states = new AppStates(clock, new EventBus(silentLogger), silentLogger);
    const app = makeApp("web");
    states.failed(app, "crash", "podman ps did not answer");
    states.setContainer("web", exited("2026-11-22T12:00:01.930123Z"));
    states.exitSeen("web");
    expect(states.history("web").failures).toBe(1);
    states.observed(
      app,
      { container: exited("2026-11-22T12:00:01.000Z"), wantedHash: null, health: null },
      "running",
    );
    expect(states.history("web").failures).toBe(1);
    // A later run's exit counts.
    states.observed(
      app,
      { container: exited("2026-11-22T12:00:03.000Z"), wantedHash: null, health: null },
      "running",
    );
    expect(states.history("web").failures).toBe(2);
  });

  it("an exit a died event counted from a ps's start (s) is not counted again by a retry's inspect (ns)", () => {
    const { states, seen } = observer();
    seen("2026-11-22T12:00:01.000Z"); // the died event, on the container the last ps showed
    expect(states.history("web").failures).toBe(1);
    seen("2026-11-22T12:00:01.930123Z"); // the back-off's retry inspects it
    expect(states.history("web").failures).toBe(1);
    seen("2026-11-22T12:00:01.000Z"); // and the next pass
    expect(states.history("web").failures).toBe(1);
  });

  it("two runs within one second are two exits once archy started the container again", () => {
    const { states, seen } = observer();
    seen("2026-11-22T12:00:01.100000Z");
    states.countRestart("web"); // archy started it again
    seen("2026-11-22T12:00:01.700000Z");
    expect(states.history("web").failures).toBe(2);
  });
});
