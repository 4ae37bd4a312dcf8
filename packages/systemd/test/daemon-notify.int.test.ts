// The built `archy daemon` as systemd runs it with Type=notify, without a
// booted systemd: NOTIFY_SOCKET is a stand-in for the manager's socket (a
// Python datagram socket, fixtures/notify-socket.py) and the messages come
// from systemd's own systemd-notify, against real podman on an isolated
// store. What the manager would see: STATUS while starting, READY=1 after the
// first pass, keep-alives every half WATCHDOG_USEC, STOPPING=1 on SIGTERM and
// exit 0; GET /v1/daemon names the invocation; and the daemon's podman
// children run without INVOCATION_ID and NOTIFY_SOCKET.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { get } from "node:http";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  createPodmanStore,
  podmanAvailability,
  tempDir,
  waitFor,
  type PodmanStore,
} from "@archy/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const podman = podmanAvailability();
const has = (cmd: string) => spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
const tools = has("systemd-notify") && has("python3") ? null : "(no systemd-notify or python3)";
// Both are on every host the suite runs on (Debian 12 here, the Debian 13 root): under CI a
// missing one fails the run instead of skipping.
if (tools !== null && process.env.CI)
  throw new Error(`CI is set, so the Type=notify test must run, but there is ${tools}`);
const skip = podman.skipReason ?? tools;

const root = fileURLToPath(new URL("../../..", import.meta.url));
const bin = join(root, "packages/cli/bin/archy.js");
const fixture = fileURLToPath(new URL("./fixtures/notify-socket.py", import.meta.url));
const INVOCATION = "0123456789abcdef0123456789abcdef";

/** The environment of a running process, from /proc. */
async function environOf(pid: number): Promise<Map<string, string>> {
  const text = await readFile(`/proc/${pid}/environ`, "utf8");
  return new Map(
    text
      .split("\0")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
}

/** The processes whose parent is `pid`, with their command lines. */
async function childrenOf(pid: number): Promise<{ pid: number; cmd: string }[]> {
  const out: { pid: number; cmd: string }[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid !== pid) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    out.push({ pid: Number(entry), cmd: cmd.split("\0").join(" ") });
  }
  return out;
}

describe.skipIf(skip !== null)(`archy daemon under a Type=notify manager ${skip ?? ""}`, () => {
  let store: PodmanStore;
  let work: { path: string; remove: () => Promise<void> };
  let manager: ChildProcess;
  let daemon: ChildProcess;
  let daemonErr = "";
  const messages: string[] = [];
  const socket = () => join(work.path, "notify");
  const seen = (m: string | RegExp) =>
    messages.some((x) => (typeof m === "string" ? x === m : m.test(x)));

  beforeAll(async () => {
    store = await createPodmanStore({ buildImage: false });
    work = await tempDir("archy-notify-");
    manager = spawn("python3", [fixture, socket()], { stdio: ["ignore", "pipe", "inherit"] });
    const lines = createInterface({ input: manager.stdout! });
    await new Promise<void>((resolve) => {
      lines.on("line", (line) => {
        if (line === "listening") return resolve();
        const { message } = JSON.parse(line) as { message: string };
        if (message !== "BARRIER=1") messages.push(message);
      });
    });
    daemon = spawn(process.execPath, [bin, "daemon", "--interval", "30s"], {
      env: {
        ...process.env,
        ...store.archyEnv,
        ARCHY_STATE_DIR: join(work.path, "state"),
        ARCHY_MANIFESTS: join(work.path, "apps"),
        NOTIFY_SOCKET: socket(),
        WATCHDOG_USEC: "2000000",
        INVOCATION_ID: INVOCATION,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    daemon.stderr!.on("data", (d: Buffer) => (daemonErr += d.toString()));
  }, 300_000);
  afterAll(async () => {
    if (daemon && daemon.exitCode === null) daemon.kill("SIGKILL");
    manager?.kill();
    await store?.cleanup();
    await work?.remove();
  });

  it("STATUS while starting, READY=1 after the first pass, then keep-alives every half WATCHDOG_USEC", async () => {
    await waitFor(() => daemon.exitCode !== null || seen(/^READY=1/), {
      timeoutMs: 60_000,
      what: "READY=1",
    });
    expect(daemon.exitCode, daemonErr).toBeNull();
    const ready = messages.findIndex((m) => m.startsWith("READY=1"));
    expect(messages[ready]).toBe("READY=1\nSTATUS=0 apps: 0 running, 0 stopped");
    expect(messages.slice(0, ready).filter((m) => m.startsWith("STATUS="))).toEqual([
      "STATUS=first pass",
    ]);
    // Before READY a keep-alive extends the start-up timeout; none is WATCHDOG=1.
    expect(messages.slice(0, ready).every((m) => m !== "WATCHDOG=1")).toBe(true);
    const before = messages.length;
    await waitFor(() => messages.slice(before).filter((m) => m === "WATCHDOG=1").length >= 2, {
      timeoutMs: 5_000,
      what: "two WATCHDOG=1 a second apart",
    });
  });

  it("GET /v1/daemon names the invocation; podman's children do not inherit it, nor NOTIFY_SOCKET", async () => {
    const info = await new Promise<{ systemd: unknown }>((resolve, reject) => {
      get({ socketPath: join(work.path, "state", "archy.sock"), path: "/v1/daemon" }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve(JSON.parse(body) as { systemd: unknown }));
      }).on("error", reject);
    });
    expect(info.systemd).toMatchObject({ invocationId: INVOCATION, notify: true });
    const events = await waitFor(
      async () => (await childrenOf(daemon.pid!)).find((c) => / events /.test(c.cmd)),
      { timeoutMs: 10_000, what: "the daemon's podman events" },
    );
    const env = await environOf(events.pid);
    expect(env.has("INVOCATION_ID")).toBe(false);
    expect(env.has("NOTIFY_SOCKET")).toBe(false);
    expect((await environOf(daemon.pid!)).get("INVOCATION_ID")).toBe(INVOCATION);
  });

  it("SIGTERM: STOPPING=1, then no keep-alive, and exit 0", async () => {
    const exited = new Promise<number | null>((resolve) => daemon.once("exit", resolve));
    daemon.kill("SIGTERM");
    expect(await exited, daemonErr).toBe(0);
    const stopping = messages.findIndex((m) => m.startsWith("STOPPING=1"));
    expect(messages[stopping]).toBe(
      "STOPPING=1\nSTATUS=stopping: finishing the pass in flight (containers keep running)",
    );
    expect(messages.slice(stopping + 1)).toEqual([]);
  });
});
