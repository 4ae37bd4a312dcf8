// `update.window`: when an `auto` update may be applied, in the host's local
// time. `[DAYS ]HH:MM-HH:MM`, DAYS a comma list of days or day ranges
// (`Sun`, `Sat,Sun`, `Mon-Fri`); no DAYS is every day. An end at or before
// the start runs past midnight (`Sun 23:00-01:00` ends Monday 01:00).

const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

export interface UpdateWindow {
  /** As written. */
  text: string;
  /** Days the window starts on, 0 = Sunday, ascending (plain JSON: the manifest cache keeps it). */
  days: number[];
  /** Minutes after midnight. */
  startMin: number;
  endMin: number;
}

const FORM = /^(?:(\S+)\s+)?(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/;

/** A day by its name or its first three letters, any case; 0 = Sunday. */
const day = (name: string): number | null => {
  const n = name.toLowerCase();
  const i = DAYS.findIndex((d) => d === n || d.slice(0, 3) === n);
  return i >= 0 ? i : null;
};

/** The window, or why the text is not one. */
export function parseWindow(text: string): UpdateWindow | { error: string } {
  const m = FORM.exec(text.trim());
  const expected =
    'expected "[days ]HH:MM-HH:MM" such as "Sun 03:00-05:00" or "Mon-Fri 02:00-04:00"';
  if (!m) return { error: expected };
  const [, daysText, sh, sm, eh, em] = m;
  const minutes = (h: string, mm: string) =>
    Number(h) < 24 && Number(mm) < 60 ? Number(h) * 60 + Number(mm) : null;
  const startMin = minutes(sh!, sm!);
  const endMin = minutes(eh!, em!);
  if (startMin === null || endMin === null) return { error: `${expected}: a time past 23:59` };
  const days = new Set<number>();
  for (const part of (daysText ?? "sun-sat").split(",")) {
    const ends = part.split("-");
    const [from, to] = ends.map(day);
    if (ends.length > 2 || from == null || to === null)
      return { error: `${expected}: "${part}" is not a day (Sun, Mon … Sat) or a range of days` };
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === (to ?? from)) break;
    }
  }
  return { text, days: [...days].sort((a, b) => a - b), startMin, endMin };
}

/** Whether `at` (local time) falls inside the window. */
export function inWindow(w: UpdateWindow, at: Date): boolean {
  const m = at.getHours() * 60 + at.getMinutes();
  const today = at.getDay();
  if (w.startMin < w.endMin) return w.days.includes(today) && m >= w.startMin && m < w.endMin;
  // Past midnight: the evening of a window day, or the morning after one.
  return (
    (w.days.includes(today) && m >= w.startMin) ||
    (w.days.includes((today + 6) % 7) && m < w.endMin)
  );
}
