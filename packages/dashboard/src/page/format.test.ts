import { describe, expect, it } from "vitest";
import {
  ago,
  clockOffset,
  countdown,
  humanDuration,
  localTime,
  spokenDuration,
  uptimeMs,
} from "./format.js";

const T0 = Date.parse("2026-12-02T15:00:00.000Z");

describe("durations", () => {
  it("spells durations as archy ps does", () => {
    expect(humanDuration(0)).toBe("0s");
    expect(humanDuration(-5)).toBe("0s");
    expect(humanDuration(59_999)).toBe("59s");
    expect(humanDuration(60_000)).toBe("1m");
    expect(humanDuration(303_000)).toBe("5m3s");
    expect(humanDuration(2 * 3600_000 + 10 * 60_000)).toBe("2h10m");
    expect(humanDuration(3 * 86400_000 + 4 * 3600_000 + 59_000)).toBe("3d4h");
  });

  it("says them in words for screen readers", () => {
    expect(spokenDuration(0)).toBe("0 seconds");
    expect(spokenDuration(1000)).toBe("1 second");
    expect(spokenDuration(303_000)).toBe("5 minutes 3 seconds");
    expect(spokenDuration(86400_000 + 3600_000 + 61_000)).toBe("1 day 1 hour");
  });
});

describe("uptime", () => {
  it("counts on from the payload's uptimeSeconds by the page's own clock", () => {
    expect(uptimeMs(null, T0, T0 + 5000)).toBeNull();
    expect(uptimeMs(42, T0, T0)).toBe(42_000);
    expect(uptimeMs(42, T0, T0 + 3500)).toBe(45_500);
    expect(uptimeMs(42, T0, T0 - 1000)).toBe(42_000); // a clock stepping back never shrinks it
  });
});

describe("countdown to the next retry", () => {
  const at = new Date(T0 + 12_000).toISOString();

  it("counts down whole seconds, rounding up, and says now once due", () => {
    expect(countdown(null, T0)).toBeNull();
    expect(countdown("not a time", T0)).toBeNull();
    expect(countdown(at, T0)).toBe("in 12s");
    expect(countdown(at, T0 + 500)).toBe("in 12s");
    expect(countdown(at, T0 + 1000)).toBe("in 11s");
    expect(countdown(at, T0 + 11_500)).toBe("in 1s");
    expect(countdown(at, T0 + 12_000)).toBe("now");
    expect(countdown(at, T0 + 60_000)).toBe("now");
    expect(countdown(new Date(T0 + 90_000).toISOString(), T0)).toBe("in 1m30s");
  });

  it("corrects for the daemon's clock being ahead of the page's", () => {
    // The daemon's clock is 10 s ahead: its retry time is 2 s away, not 12.
    expect(countdown(at, T0, 10_000)).toBe("in 2s");
  });
});

describe("times", () => {
  it("says how long ago", () => {
    expect(ago(null, T0)).toBe("-");
    expect(ago("garbage", T0)).toBe("-");
    expect(ago(new Date(T0 - 200).toISOString(), T0)).toBe("just now");
    expect(ago(new Date(T0 - 65_000).toISOString(), T0)).toBe("1m5s ago");
    expect(ago(new Date(T0 - 65_000).toISOString(), T0, -60_000)).toBe("5s ago");
  });

  it("estimates the daemon's clock offset from the Date header, ignoring under 2 s", () => {
    expect(clockOffset(null, T0)).toBe(0);
    expect(clockOffset("nonsense", T0)).toBe(0);
    expect(clockOffset(new Date(T0).toUTCString(), T0 + 300)).toBe(0);
    expect(clockOffset(new Date(T0 + 30_000).toUTCString(), T0)).toBe(30_500);
    expect(clockOffset(new Date(T0 - 30_000).toUTCString(), T0)).toBe(-29_500);
  });

  it("shows a local time, seconds included", () => {
    expect(localTime(null)).toBe("-");
    expect(localTime("x")).toBe("x");
    expect(localTime(new Date(2026, 11, 2, 9, 5, 7).toISOString())).toBe("2026-12-02 09:05:07");
  });
});
