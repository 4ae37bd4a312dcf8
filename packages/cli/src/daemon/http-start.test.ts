import { mkdtemp, rm, stat } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseHttpAddress } from "./http-address.js";
import { startHttp } from "./http-start.js";
import { tokenPath } from "./token.js";

let root: string;
const servers: Server[] = [];
const logged: { level: string; msg: string }[] = [];
const stderr: string[] = [];
const log = {
  info: (_o: object, msg: string) => void logged.push({ level: "info", msg }),
  warn: (_o: object, msg: string) => void logged.push({ level: "warn", msg }),
};

const start = (addr: string, toStderr = true) =>
  startHttp({
    stateDir: root,
    address: parseHttpAddress(addr),
    api: () => null,
    assets: () => undefined,
    log,
    stderr: toStderr ? { write: (t: string) => stderr.push(t) } : null,
  }).then((started) => {
    servers.push(started.server);
    return started;
  });

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-http-start-"));
  logged.length = 0;
  stderr.length = 0;
});
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  await rm(root, { recursive: true, force: true });
});

describe("startHttp (archy daemon --http)", () => {
  it("loopback: the token file 0600, the page's address, no warning", async () => {
    const { info } = await start("127.0.0.1:0");
    expect(info).toEqual({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/),
      address: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      loopback: true,
    });
    expect((await stat(tokenPath(root))).mode & 0o777).toBe(0o600);
    expect(logged.filter((l) => l.level === "warn")).toEqual([]);
    expect(stderr).toEqual([]);
  });

  it("another address: a warning in the log and on stderr", async () => {
    const { info } = await start("0.0.0.0:0");
    expect(info.loopback).toBe(false);
    const warning = logged.find((l) => l.level === "warn")?.msg;
    expect(warning).toMatch(
      /^the status page listens on 0\.0\.0\.0:\d+, which other machines can reach/,
    );
    expect(stderr).toEqual([`archy: warning: ${warning}\n`]);
  });

  it("the warning is not written twice when the log already shows on stderr", async () => {
    await start("0.0.0.0:0", false);
    expect(logged.filter((l) => l.level === "warn")).toHaveLength(1);
    expect(stderr).toEqual([]);
  });

  it("a port in use: bad usage (exit 2) with a sentence naming it", async () => {
    const { info } = await start("127.0.0.1:0");
    await expect(start(info.address)).rejects.toMatchObject({
      exitCode: 2,
      message: `cannot serve the status page on ${info.address}: the port is in use (another program, or another archy daemon) (EADDRINUSE)`,
    });
  });

  it("an address this machine does not have: exit 2", async () => {
    await expect(start("192.0.2.1:0")).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(
        /^cannot serve the status page on 192\.0\.2\.1:0: this machine has no such address/,
      ),
    });
  });
});
