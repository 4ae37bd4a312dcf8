import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "./cli.js";

// The commands' modules are stand-ins that record, as their action runs,
// whether main() installed its Ctrl-C handler (exit 130) for them.
const seen = vi.hoisted(() => ({ before: [] as unknown[], handled: [] as [string, boolean][] }));
const record = (name: string) => async () => {
  const added = process.listeners("SIGINT").filter((l) => !seen.before.includes(l));
  seen.handled.push([name, added.length === 1]);
  return 0;
};
vi.mock("./commands/daemon.js", () => ({ run: record("daemon") }));
vi.mock("./commands/logs.js", () => ({ run: record("logs") }));
vi.mock("./commands/ps.js", () => ({ ps: record("ps"), status: record("status") }));
vi.mock("./commands/lifecycle.js", () => ({ run: record("lifecycle") }));

beforeEach(() => {
  seen.before = process.listeners("SIGINT");
  seen.handled = [];
});
afterEach(() => {
  // main() takes its handler away again when it returns.
  expect(process.listeners("SIGINT")).toEqual(seen.before);
});

describe("Ctrl-C exits 130 for every command but the daemon", () => {
  it.each<[string[], string, boolean]>([
    [["daemon"], "daemon", false],
    [["--json", "daemon", "--interval", "5s"], "daemon", false],
    [["logs", "daemon", "-f"], "logs", true],
    [["logs", "-f", "daemon"], "logs", true],
    [["status", "daemon"], "status", true],
    [["start", "daemon"], "lifecycle", true],
    [["--state-dir", "daemon", "ps"], "ps", true],
    [["ps"], "ps", true],
  ])("archy %j", async (args, command, handled) => {
    expect(await main(["node", "archy", ...args])).toBe(0);
    expect(seen.handled).toEqual([[command, handled]]);
  });
});
