import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SystemdError } from "./errors.js";
import { createNotifier } from "./notify.js";

const has = (cmd: string) => spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
const available = has("systemd-notify") && has("python3");
const fixture = fileURLToPath(new URL("../test/fixtures/notify-socket.py", import.meta.url));

/**
 * systemd's own systemd-notify against a stand-in for the manager's socket
 * (a Python datagram socket: Node cannot open one): the words the notifier
 * passes are ones systemd-notify accepts, and each call returns once the
 * "manager" has taken the message (the barrier).
 */
describe.skipIf(!available)("with the real systemd-notify", () => {
  let dir: string;
  let manager: ChildProcess;
  const received: { message: string; pid: number | null }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "archy-notify-"));
    manager = spawn("python3", [fixture, join(dir, "notify")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines = createInterface({ input: manager.stdout! });
    await new Promise<void>((resolve) => {
      lines.on("line", (line) => {
        if (line === "listening") resolve();
        else received.push(JSON.parse(line) as { message: string; pid: number | null });
      });
    });
  });
  afterAll(async () => {
    manager?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it("READY, STATUS, WATCHDOG and STOPPING arrive in order, each acknowledged", async () => {
    const errors: SystemdError[] = [];
    const n = createNotifier({
      env: { NOTIFY_SOCKET: join(dir, "notify") },
      onError: (e) => errors.push(e),
    })!;
    await n.status("recovering");
    await n.ready("2 apps: 2 running, 0 stopped");
    await n.watchdog();
    await n.stopping("stopping");
    expect(errors).toEqual([]);
    const messages = received.map((r) => r.message).filter((m) => m !== "BARRIER=1");
    expect(messages).toEqual([
      "STATUS=recovering",
      "READY=1\nSTATUS=2 apps: 2 running, 0 stopped",
      "WATCHDOG=1",
      "STOPPING=1\nSTATUS=stopping",
    ]);
    // Each message was followed by the barrier systemd-notify waits on.
    expect(received.filter((r) => r.message === "BARRIER=1")).toHaveLength(4);
  });
});
