// Seen in the kill -9 torture: the daemon's process group killed during a
// start left web's old container `created` with its conmon alive holding the
// published port; archy's recreate removed the container, the conmon stayed,
// and every new web container failed with "address already in use".
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LABEL_APP } from "../manifest/spec.js";
import { strayConmonReaper } from "./stray-conmon.js";
import { errorLogger, reconcilerFixture } from "../test-helpers.js";

const t = reconcilerFixture();
const ID = "93b38127f3b3a60ddd29efdad102126beb6bce6a88b03ef594614f1fc0cdb857";
const OTHER = "3a47abbf0cc0d9a4e4e314accfc6910e392d08d2ff9d6e156c016948bb5f4e43";

async function fakeProc(processes: { pid: number; ppid: number; comm: string; argv: string[] }[]) {
  const dir = join(t.dir, "proc");
  for (const p of processes) {
    await mkdir(join(dir, String(p.pid)), { recursive: true });
    await writeFile(join(dir, String(p.pid), "cmdline"), p.argv.join("\0") + "\0");
    await writeFile(
      join(dir, String(p.pid), "stat"),
      `${p.pid} (${p.comm}) S ${p.ppid} ${p.pid} 0`,
    );
  }
  await mkdir(join(dir, "self"), { recursive: true });
  return dir;
}

const conmon = (id: string, name: string) => [
  "/usr/bin/conmon",
  "--api-version",
  "1",
  "-c",
  id,
  "-u",
  id,
  "-n",
  name,
];

describe("strayConmonReaper", () => {
  it("kills the conmon of the removed container and its runc init, nothing else", async () => {
    const procDir = await fakeProc([
      { pid: 100, ppid: 1, comm: "conmon", argv: conmon(ID, "archy-web") },
      { pid: 101, ppid: 100, comm: "runc:[2:INIT]", argv: ["runc", "init"] },
      { pid: 200, ppid: 1, comm: "conmon", argv: conmon(OTHER, "archy-cache") },
      { pid: 201, ppid: 200, comm: "httpd", argv: ["httpd", "-f"] },
      { pid: 300, ppid: 1, comm: "grep", argv: ["grep", "-c", ID] },
    ]);
    const signals: [number, string][] = [];
    const reap = strayConmonReaper({ procDir, kill: (pid, s) => signals.push([pid, s]) });
    expect(await reap(ID)).toEqual([101, 100]);
    expect(signals).toEqual([
      [101, "SIGKILL"],
      [100, "SIGKILL"],
    ]);
  });

  it("finds nothing when no conmon of that id is left, or the id is not a container id", async () => {
    const procDir = await fakeProc([
      { pid: 200, ppid: 1, comm: "conmon", argv: conmon(OTHER, "archy-cache") },
    ]);
    const signals: number[] = [];
    const reap = strayConmonReaper({ procDir, kill: (pid) => signals.push(pid) });
    expect(await reap(ID)).toEqual([]);
    expect(await reap("-c")).toEqual([]);
    expect(signals).toEqual([]);
  });

  it("a process gone meanwhile is not an error", async () => {
    const procDir = await fakeProc([
      { pid: 100, ppid: 1, comm: "conmon", argv: conmon(ID, "archy-web") },
    ]);
    const reap = strayConmonReaper({
      procDir,
      kill: () => {
        throw Object.assign(new Error("kill ESRCH"), { code: "ESRCH" });
      },
    });
    expect(await reap(ID)).toEqual([]);
  });
});

describe("the executor after removing a container", () => {
  it("a wedged container's recreate reaps what podman left of it, and says so", async () => {
    const app = t.app("web");
    const wedged = t.fake.addContainer(
      { name: "archy-web", image: "localhost/web:1", labels: { [LABEL_APP]: "web" } },
      "created",
    );
    const asked: string[] = [];
    const warnings: string[] = [];
    const { logger } = errorLogger();
    const r = t.make([app], {
      reapStray: async (id) => {
        asked.push(id);
        return id === wedged.id ? [4242] : [];
      },
      logger: { ...logger, warn: (_o: object, m: string) => warnings.push(m) },
    });
    const report = await t.settle(r.reconcileAll());
    expect(report.actions.map((a) => [a.kind, a.ok])).toEqual([["recreate", true]]);
    expect(asked).toEqual([wedged.id]);
    expect(warnings).toEqual([
      `web: killed the conmon podman left running for the removed container ${wedged.id.slice(0, 12)} (it held the app's ports)`,
    ]);
  });
});
