import { describe, expect, it } from "vitest";
import { connectLive, reconnectDelay } from "./connection.js";
import { eventSources, FakeClock } from "./test-fakes.js";

function setup() {
  const clock = new FakeClock();
  const sources = eventSources();
  const log: string[] = [];
  const live = connectLive({
    url: "/v1/events",
    open: sources.open,
    timers: clock,
    onOpen: () => log.push("open"),
    onMessage: (d) => log.push(`message ${d}`),
    onDown: (n) => log.push(n === 1 ? "down" : `down ${n}`),
  });
  return { clock, sources, log, live };
}

describe("connectLive", () => {
  it("opens the stream and passes its events on", () => {
    const { sources, log } = setup();
    expect(sources.opened.map((s) => s.url)).toEqual(["/v1/events"]);
    sources.last.open();
    sources.last.send({ type: "wake" });
    expect(log).toEqual(["open", 'message {"type":"wake"}']);
  });

  it("waits 0.5 s, 1, 2, then 3 s between reopens", () => {
    expect([0, 1, 2, 3, 4, 5, 20].map(reconnectDelay)).toEqual([
      500, 1000, 2000, 3000, 3000, 3000, 3000,
    ]);
  });

  it("closes a dropped stream and reopens it itself, backing off while the daemon is away", () => {
    const { clock, sources, log } = setup();
    sources.last.open();
    sources.last.fail(); // the daemon went away
    expect(sources.opened[0]!.closed).toBe(true);
    expect(log).toEqual(["open", "down"]);
    clock.advance(499);
    expect(sources.opened).toHaveLength(1);
    clock.advance(1);
    expect(sources.opened).toHaveLength(2);
    sources.last.fail(); // connection refused
    expect(log).toEqual(["open", "down", "down 2"]);
    clock.advance(1000);
    expect(sources.opened).toHaveLength(3);
    sources.last.fail();
    clock.advance(2000);
    expect(sources.opened).toHaveLength(4);
    sources.last.open(); // the daemon is back: re-sync
    expect(log.filter((l) => l === "open")).toHaveLength(2);
    // After an open the back-off starts again from 0.5 s.
    sources.last.fail();
    clock.advance(500);
    expect(sources.opened).toHaveLength(5);
  });

  it("ignores a stale stream's callbacks once replaced", () => {
    const { clock, sources, log } = setup();
    const first = sources.last;
    first.fail();
    clock.advance(500);
    first.open();
    first.send("late");
    first.fail();
    expect(log).toEqual(["down"]);
    expect(sources.opened).toHaveLength(2);
  });

  it("reopens at once when asked (back online), and stops for good on close", () => {
    const { clock, sources, live } = setup();
    sources.last.fail();
    live.retryNow();
    expect(sources.opened).toHaveLength(2);
    expect(clock.pending).toBe(0);
    live.retryNow(); // not down: nothing
    expect(sources.opened).toHaveLength(2);
    live.close();
    expect(sources.last.closed).toBe(true);
    sources.last.fail();
    clock.advance(60_000);
    expect(sources.opened).toHaveLength(2);
  });
});
