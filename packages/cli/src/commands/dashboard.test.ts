// `archy dashboard` against a stand-in daemon on the unix socket (its
// GET /v1/daemon answer), with the machine's TTY, display and browser passed
// in: no browser is ever opened by a test.
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createContext, type Context } from "../context.js";
import { tokenPath } from "../daemon/token.js";
import { run, type DashboardSystem } from "./dashboard.js";

let root: string;
let server: Server | null = null;
let stdout: string[];
let stderr: string[];
let opened: string[];

const context = (json = false): Context =>
  createContext({ stateDir: join(root, "state"), manifests: join(root, "apps"), json });
const sys = (over: Partial<DashboardSystem> = {}): DashboardSystem => ({
  env: {},
  stdoutIsTTY: false,
  openBrowser: async (url) => void opened.push(url),
  ...over,
});

/** A daemon whose GET /v1/daemon says `http`. */
async function daemon(http: unknown) {
  await mkdir(join(root, "state"), { recursive: true, mode: 0o700 });
  server = createServer((_req, res) => {
    const body = JSON.stringify({ pid: 1, http });
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
  server.listen(join(root, "state", "archy.sock"));
  await once(server, "listening");
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-dashboard-"));
  stdout = [];
  stderr = [];
  opened = [];
  vi.spyOn(process.stdout, "write").mockImplementation((t) => {
    stdout.push(String(t));
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((t) => {
    stderr.push(String(t));
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  server?.closeAllConnections();
  if (server) await new Promise((r) => server!.close(r));
  server = null;
  await rm(root, { recursive: true, force: true });
});

const token = async () => (await readFile(tokenPath(join(root, "state")), "utf8")).trim();

describe("archy dashboard", () => {
  it("prints the daemon's page address with the token (created 0600 when there is none)", async () => {
    await daemon({ url: "http://127.0.0.1:7777/" });
    expect(await run(context(), {}, sys())).toBe(0);
    const t = await token();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(tokenPath(join(root, "state")))).mode & 0o777).toBe(0o600);
    expect(stdout).toEqual([`http://127.0.0.1:7777/?token=${t}\n`]);
    // The same token the next time.
    stdout.length = 0;
    await run(context(), {}, sys());
    expect(stdout).toEqual([`http://127.0.0.1:7777/?token=${t}\n`]);
  });

  it("--json: { url, tokenFile, rotated }", async () => {
    await daemon({ url: "http://[::1]:7777/" });
    expect(await run(context(true), { rotateToken: true }, sys())).toBe(0);
    expect(JSON.parse(stdout.join(""))).toEqual({
      url: `http://[::1]:7777/?token=${await token()}`,
      tokenFile: tokenPath(join(root, "state")),
      rotated: true,
    });
  });

  it("--rotate-token: a new token each time", async () => {
    await daemon({ url: "http://127.0.0.1:7777/" });
    await run(context(), {}, sys());
    const before = await token();
    await run(context(), { rotateToken: true }, sys());
    expect(await token()).not.toBe(before);
    expect(stderr.join("")).toContain("earlier links and signed-in pages no longer work");
  });

  it("no daemon: exit 1 saying how to start one with --http; no token file made", async () => {
    await expect(run(context(), {}, sys())).rejects.toMatchObject({
      exitCode: 1,
      message:
        "no archy daemon is running: start one with --http, for example: archy daemon --http 127.0.0.1:7777",
    });
    await expect(stat(tokenPath(join(root, "state")))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a daemon without --http: exit 1", async () => {
    await daemon(null);
    await expect(run(context(), {}, sys())).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(
        /^the daemon does not serve the status page \(it was started without --http\): start one with --http/,
      ),
    });
  });

  it("--rotate-token without a daemon still rotates the file (exit 0, url null)", async () => {
    expect(await run(context(true), { rotateToken: true }, sys())).toBe(0);
    expect(JSON.parse(stdout.join(""))).toEqual({
      url: null,
      tokenFile: tokenPath(join(root, "state")),
      rotated: true,
    });
    expect(await token()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stderr.join("")).toContain("no archy daemon is running");
  });

  it.each([
    ["a TTY and DISPLAY", { stdoutIsTTY: true, env: { DISPLAY: ":0" } }, {}, false, 1],
    [
      "a TTY and WAYLAND_DISPLAY",
      { stdoutIsTTY: true, env: { WAYLAND_DISPLAY: "wayland-0" } },
      {},
      false,
      1,
    ],
    ["--no-open", { stdoutIsTTY: true, env: { DISPLAY: ":0" } }, { open: false }, false, 0],
    ["no TTY", { stdoutIsTTY: false, env: { DISPLAY: ":0" } }, {}, false, 0],
    ["no display", { stdoutIsTTY: true, env: {} }, {}, false, 0],
    ["--json", { stdoutIsTTY: true, env: { DISPLAY: ":0" } }, {}, true, 0],
  ] as const)("a browser is opened with %s: %s", async (_what, machine, opts, json, count) => {
    await daemon({ url: "http://127.0.0.1:7777/" });
    await run(context(json), opts, sys({ ...machine, env: { ...machine.env } }));
    expect(opened).toHaveLength(count);
    if (count) expect(opened[0]).toBe(`http://127.0.0.1:7777/?token=${await token()}`);
  });

  it("a browser that cannot be opened is a note, not a failure", async () => {
    await daemon({ url: "http://127.0.0.1:7777/" });
    const code = await run(
      context(),
      {},
      sys({
        stdoutIsTTY: true,
        env: { DISPLAY: ":0" },
        openBrowser: async () => {
          throw new Error("spawn xdg-open ENOENT");
        },
      }),
    );
    expect(code).toBe(0);
    expect(stderr.join("")).toContain(
      "could not open a browser (spawn xdg-open ENOENT): open the address above",
    );
  });
});
