import { describe, expect, it } from "vitest";
import { inWindow, parseWindow, type UpdateWindow } from "./window.js";

const w = (text: string) => {
  const r = parseWindow(text);
  if ("error" in r) throw new Error(r.error);
  return r as UpdateWindow;
};
/** Local time: 2026-12-06 is a Sunday. */
const at = (day: number, hhmm: string) => {
  const [h, m] = hhmm.split(":").map(Number);
  return new Date(2026, 11, 6 + day, h, m);
};

describe("update windows", () => {
  it("a day and hours: inside from the start, outside at the end and on other days", () => {
    const sun = w("Sun 03:00-05:00");
    expect(inWindow(sun, at(0, "02:59"))).toBe(false);
    expect(inWindow(sun, at(0, "03:00"))).toBe(true);
    expect(inWindow(sun, at(0, "04:59"))).toBe(true);
    expect(inWindow(sun, at(0, "05:00"))).toBe(false);
    expect(inWindow(sun, at(1, "03:30"))).toBe(false);
  });

  it("ranges and lists of days, full names, any case; no days is every day", () => {
    const weekdays = w("Mon-Fri 02:00-04:00");
    expect([0, 1, 2, 3, 4, 5, 6].map((d) => inWindow(weekdays, at(d, "03:00")))).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
    const weekend = w("saturday,SUN 01:00-02:00");
    expect([0, 1, 6].map((d) => inWindow(weekend, at(d, "01:30")))).toEqual([true, false, true]);
    const wrapsWeek = w("Fri-Mon 01:00-02:00");
    expect([0, 1, 2, 5, 6].map((d) => inWindow(wrapsWeek, at(d, "01:30")))).toEqual([
      true,
      true,
      false,
      true,
      true,
    ]);
    expect(inWindow(w("03:00-05:00"), at(3, "04:00"))).toBe(true);
  });

  it("an end at or before the start runs past midnight, into the next day", () => {
    const night = w("Sun 23:00-01:00");
    expect(inWindow(night, at(0, "23:30"))).toBe(true);
    expect(inWindow(night, at(1, "00:30"))).toBe(true);
    expect(inWindow(night, at(0, "00:30"))).toBe(false);
    expect(inWindow(night, at(1, "23:30"))).toBe(false);
  });

  it("what is not a window says what is expected", () => {
    for (const bad of [
      "Sun",
      "Sun 3-5",
      "Sun 25:00-26:00",
      "Sun 03:60-04:00",
      "Funday 03:00-04:00",
      "Mon-Tue-Wed 01:00-02:00",
      "Mon, 01:00-02:00",
    ])
      expect(parseWindow(bad), bad).toMatchObject({
        error: expect.stringMatching(/expected "\[days \]HH:MM-HH:MM"/),
      });
  });
});
