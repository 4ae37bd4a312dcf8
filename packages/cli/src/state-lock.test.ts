import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AlreadyRunningError, acquireMarker } from "@archy/crash-marker";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createContext, type Context } from "./context.js";
import { CliError } from "./cli-error.js";
import { ensureStateDir, withStateLock } from "./state-lock.js";

const cliDir = fileURLToPath(new URL("..", import.meta.url));

/** A daemon stand-in: a real process that takes the marker and is SIGKILLed holding it. */
async function crashedHolder(stateDir: string): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { acquireMarker } from "@archy/crash-marker";
       await acquireMarker(${JSON.stringify(stateDir)});
       process.stdout.write("held\\n");
       setInterval(() => {}, 1000);`,
    ],
    { cwd: cliDir, stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`holder exited with ${code}`)));
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
  return child.pid!;
}

let root: string;
let ctx: Context;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-state-lock-"));
  ctx = createContext({ stateDir: join(root, "state"), manifests: join(root, "apps") });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("withStateLock", () => {
  it("holds the folder while fn runs: a second holder gets AlreadyRunningError", async () => {
    const result = await withStateLock(ctx, async () => {
      await expect(acquireMarker(ctx.stateDir)).rejects.toBeInstanceOf(AlreadyRunningError);
      return 42;
    });
    expect(result).toBe(42);
    expect(await readdir(ctx.stateDir)).toEqual([]);
    expect((await acquireMarker(ctx.stateDir)).previous).toBeNull();
  });

  it("after a crashed daemon: the next daemon still sees the crash, also when fn throws", async () => {
    const pid = await crashedHolder(ctx.stateDir);
    await expect(
      withStateLock(ctx, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await withStateLock(ctx, async () => undefined);
    const daemon = await acquireMarker(ctx.stateDir);
    expect(daemon.previous).toMatchObject({ pid, ended: "crash" });
    await daemon.release();
  });
});

describe("ensureStateDir", () => {
  it("creates the folder 0700 and makes an existing folder of this user 0700", async () => {
    await ensureStateDir(ctx.stateDir);
    expect((await stat(ctx.stateDir)).mode & 0o777).toBe(0o700);
    await chmod(ctx.stateDir, 0o777);
    await ensureStateDir(ctx.stateDir);
    expect((await stat(ctx.stateDir)).mode & 0o777).toBe(0o700);
  });

  it("refuses a folder owned by another user (exit 2) and leaves it as it was", async () => {
    await mkdir(ctx.stateDir, { mode: 0o755 });
    const owner = (await stat(ctx.stateDir)).uid;
    const error = await ensureStateDir(ctx.stateDir, owner + 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ exitCode: 2 });
    expect((error as Error).message).toContain(`owned by uid ${owner}, not by this user`);
    expect((await stat(ctx.stateDir)).mode & 0o777).toBe(0o755);
  });
});
