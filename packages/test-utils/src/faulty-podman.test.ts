// The fault-injecting podman against a stand-in "real podman" (a shell script
// printing a JSON list), so its faults are checked without podman.
import { spawn } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFaultyPodman, type FaultyPodman } from "./faulty-podman.js";
import { tempDir } from "./temp.js";

const LIST = JSON.stringify([{ Id: "abc", Names: ["archy-web"], State: "running" }], null, 2);

let dir: { path: string; remove: () => Promise<void> };
let faulty: FaultyPodman;

beforeEach(async () => {
  dir = await tempDir("archy-faulty-");
  const real = join(dir.path, "real-podman");
  // Prints its arguments on stderr; `events` streams a line a tenth of a second.
  await writeFile(
    real,
    `#!/bin/sh
echo "real: $*" >&2
for a in "$@"; do
  case "$a" in
    events) while true; do echo '{"Status":"start"}'; sleep 0.1; done ;;
    ps) cat <<'EOF'
${LIST}
EOF
        exit 0 ;;
    fails) exit 3 ;;
  esac
done
`,
  );
  await chmod(real, 0o755);
  faulty = await createFaultyPodman(join(dir.path, "wrapper"), { realPodman: real });
});
afterEach(async () => {
  await dir.remove();
});

const run = (args: string[], timeout = 10_000) =>
  execa(faulty.path, args, { reject: false, timeout });

describe("createFaultyPodman", () => {
  it("without faults it is the real podman: arguments, stdout, stderr and exit code pass through", async () => {
    const r = await run(["--root", "/x", "ps", "--format", "json"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(LIST);
    expect(r.stderr).toBe("real: --root /x ps --format json");
    expect((await run(["fails"])).exitCode).toBe(3);
    const records = await faulty.records();
    expect(records.map((c) => [c.n, c.command, c.args, c.fault])).toEqual([
      [0, "ps", ["--format", "json"], "none"],
      [1, "fails", [], "none"],
    ]);
  });

  it("fail: exit 125 with a podman-like error, the real podman never runs", async () => {
    await faulty.configure({ share: 1, calls: { fail: 1, hang: 0, truncate: 0, garbage: 0 } });
    const r = await run(["ps"]);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toMatch(/^Error: /);
    expect(r.stderr).not.toMatch(/real:/);
    expect(r.stderr).not.toMatch(/no such container|no container with/i);
  });

  it("truncate and garbage: exit 0, stdout that is not the JSON podman printed", async () => {
    await faulty.configure({ share: 1, calls: { fail: 0, hang: 0, truncate: 1, garbage: 0 } });
    for (let i = 0; i < 5; i++) {
      const r = await run(["ps"]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.length).toBeLessThan(LIST.length);
      expect(LIST.startsWith(r.stdout)).toBe(true);
      expect(() => JSON.parse(r.stdout) as unknown).toThrow();
    }
    await faulty.configure({ calls: { fail: 0, hang: 0, truncate: 0, garbage: 1 } });
    for (let i = 0; i < 5; i++) {
      const r = await run(["ps"]);
      expect(r.exitCode).toBe(0);
      expect(() => JSON.parse(r.stdout) as unknown).toThrow();
    }
  });

  it("hang: no answer until the caller's timeout kills it", async () => {
    await faulty.configure({
      share: 1,
      hangMs: 30_000,
      calls: { fail: 0, hang: 1, truncate: 0, garbage: 0 },
    });
    const started = Date.now();
    const r = await run(["ps"], 700);
    expect(r.timedOut).toBe(true);
    expect(r.stdout).toBe("");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("the share is drawn from the seed: the same seed faults the same call numbers", async () => {
    const faultsOf = async (seed: number) => {
      const wrapper = await createFaultyPodman(join(dir.path, `seed-${seed}-${Math.random()}`), {
        realPodman: "/bin/true",
        config: { share: 0.3, seed, calls: { fail: 1, hang: 0, truncate: 0, garbage: 0 } },
      });
      for (let i = 0; i < 20; i++) await execa(wrapper.path, ["ps"], { reject: false });
      return (await wrapper.records()).map((r) => r.fault);
    };
    const a = await faultsOf(7);
    expect(await faultsOf(7)).toEqual(a);
    const failed = a.filter((f) => f === "fail").length;
    expect(failed).toBeGreaterThan(1);
    expect(failed).toBeLessThan(14);
  });

  it("spared commands never fault", async () => {
    await faulty.configure({
      share: 1,
      spare: ["version"],
      calls: { fail: 1, hang: 0, truncate: 0, garbage: 0 },
    });
    expect((await run(["version"])).exitCode).toBe(0);
    expect((await run(["ps"])).exitCode).toBe(125);
  });

  it("events: die streams real events, then exits 125; stall stays alive and silent", async () => {
    await faulty.configure({
      share: 1,
      events: { fail: 0, die: 1, stall: 0 },
      eventsDieAfterMs: [300, 400],
    });
    const died = await run(["events", "--format", "json"]);
    expect(died.exitCode).toBe(125);
    expect(died.stdout).toMatch(/"Status":"start"/);
    expect(died.stderr).toMatch(/Error: /);

    await faulty.configure({ events: { fail: 0, die: 0, stall: 1 } });
    const child = spawn(faulty.path, ["events"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const outcome = await Promise.race([
      exited.then(() => "exited"),
      new Promise((r) => setTimeout(() => r("alive"), 800)),
    ]);
    expect(outcome).toBe("alive");
    expect(out).toBe("");
    child.kill("SIGTERM");
    await exited;
  });
});
