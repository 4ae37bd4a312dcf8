import { createColors } from "picocolors";
import { describe, expect, it } from "vitest";
import { cliTable3, renderTable } from "./table.js";

const c = createColors(true);

/** A small deterministic PRNG (mulberry32), so a failure is reproducible. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const words = ["", "-", "web", "app-12", "running", "localhost/archy-test:latest", "1m5s", "  x "];
const styles = [
  (s: string) => s,
  c.bold,
  c.dim,
  c.green,
  c.red,
  c.yellow,
  c.cyan,
  (s: string) => c.bold(c.red(s)),
];

describe("renderTable", () => {
  it("draws what cli-table3 draws, for plain and coloured one-line ASCII cells", () => {
    const next = random(42);
    const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]!;
    for (let i = 0; i < 300; i++) {
      const columns = 1 + Math.floor(next() * 6);
      const cell = () => pick(styles)(pick(words) + pick(words));
      const head = Array.from({ length: columns }, () => c.bold(pick(words).toUpperCase()));
      const rows = Array.from({ length: Math.floor(next() * 5) }, () =>
        Array.from({ length: columns }, cell),
      );
      expect(renderTable(head, rows)).toBe(cliTable3(head, rows));
    }
  });

  it.each([
    ["several lines", ["a", "failed: no\nsuch image"]],
    ["wide characters", ["a", "数据库"]],
    ["an emoji", ["a", "ok ✅"]],
    ["an open style", ["a", "\u001b[31mred"]],
    ["an open background", ["a", "\u001b[41mred\u001b[39m"]],
    ["a control character", ["a", "tab\there"]],
    ["another escape", ["a", "\u001b]8;;https://x\u0007link\u001b]8;;\u0007"]],
    ["a short row", ["a"]],
  ])("hands a table with %s to cli-table3", (_label, row) => {
    const head = ["APP", "REASON"];
    expect(renderTable(head, [row, ["b", "plain"]])).toBe(cliTable3(head, [row, ["b", "plain"]]));
  });

  it("lays out ps's columns", () => {
    expect(
      renderTable(
        ["APP", "DESIRED", "PHASE"],
        [
          ["web", "running", "running"],
          ["db", "stopped", ""],
        ],
      ),
    ).toBe(["APP  DESIRED  PHASE  ", "web  running  running", "db   stopped         "].join("\n"));
  });
});
