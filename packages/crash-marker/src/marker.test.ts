import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlreadyRunningError, acquireMarker, CrashMarkerError } from "./index.js";
import { currentBootId, processStartTime } from "./proc.js";

const holderScript = fileURLToPath(new URL("../test/fixtures/holder.mjs", import.meta.url));

interface Holder {
  child: ChildProcessWithoutNullStreams;
  next(): Promise<Record<string, unknown>>;
  exited: Promise<void>;
}

function spawnHolder(dir: string, wait = false): Holder {
  const child = spawn(process.execPath, [holderScript, dir, ...(wait ? ["wait"] : [])], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const queue: Record<string, unknown>[] = [];
  const waiters: ((v: Record<string, unknown>) => void)[] = [];
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on("line", (line) => {
    const msg = JSON.parse(line) as Record<string, unknown>;
    const w = waiters.shift();
    if (w) w(msg);
    else queue.push(msg);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    exited,
    next: () =>
      new Promise((resolve, reject) => {
        const q = queue.shift();
        if (q) return resolve(q);
        waiters.push(resolve);
        void exited.then(() =>
          setTimeout(() => reject(new Error(`holder exited; stderr: ${stderr}`)), 50),
        );
      }),
  };
}

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "archy-marker-")), "state");
});
afterEach(async () => {
  await rm(join(dir, ".."), { recursive: true, force: true });
});

describe("acquireMarker", () => {
  it("first start: no previous run; records pid, start time and boot id; folder is 0700", async () => {
    const marker = await acquireMarker(dir);
    expect(marker.previous).toBeNull();
    expect(marker.path).toBe(join(dir, "archy.pid"));
    const rec = JSON.parse(await readFile(marker.path, "utf8")) as Record<string, unknown>;
    expect(rec.pid).toBe(process.pid);
    expect(rec.startTime).toBe(processStartTime(process.pid));
    expect(rec.startTime).toMatch(/^\d+$/);
    expect(rec.bootId).toBe(currentBootId());
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    await marker.release();
  });

  it("honours a custom name", async () => {
    const marker = await acquireMarker(dir, { name: "other" });
    expect(marker.path).toBe(join(dir, "other.pid"));
    await marker.release();
    await expect(acquireMarker(dir, { name: "../escape" })).rejects.toThrow(TypeError);
  });

  it("release then acquire again: previous is null; release twice is harmless", async () => {
    const first = await acquireMarker(dir);
    await first.release();
    await first.release();
    const second = await acquireMarker(dir);
    expect(second.previous).toBeNull();
    await second.release();
  });

  it("release never removes a marker another process has taken", async () => {
    const mine = await acquireMarker(dir);
    // Simulate: our marker was judged stale and replaced by another holder.
    const other = {
      pid: 1,
      startTime: processStartTime(1),
      startedAt: "x",
      bootId: currentBootId(),
      token: "other",
    };
    await writeFile(mine.path, JSON.stringify(other));
    await mine.release();
    expect(JSON.parse(await readFile(mine.path, "utf8"))).toEqual(other);
  });

  it("a live holder in this process: AlreadyRunningError with our pid", async () => {
    const marker = await acquireMarker(dir);
    const err = await acquireMarker(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlreadyRunningError);
    expect(CrashMarkerError.isInstance(err)).toBe(true);
    expect((err as AlreadyRunningError).code).toBe("EALREADYRUNNING");
    expect((err as AlreadyRunningError).pid).toBe(process.pid);
    await marker.release();
  });

  it("a live holder in another process: AlreadyRunningError naming its pid; its marker is untouched", async () => {
    const holder = spawnHolder(dir);
    expect(await holder.next()).toMatchObject({ ok: true, previous: null });
    const before = await readFile(join(dir, "archy.pid"), "utf8");
    const err = await acquireMarker(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlreadyRunningError);
    expect((err as AlreadyRunningError).pid).toBe(holder.child.pid);
    expect((err as Error).message).toContain(String(holder.child.pid));
    expect(await readFile(join(dir, "archy.pid"), "utf8")).toBe(before);
    holder.child.stdin.end("release\n");
    expect(await holder.next()).toEqual({ released: true });
    await holder.exited;
    const after = await acquireMarker(dir);
    expect(after.previous).toBeNull();
    await after.release();
  });

  it("holder SIGKILLed: the next acquire reports a crash with the dead pid", async () => {
    const holder = spawnHolder(dir);
    await holder.next();
    const pid = holder.child.pid;
    holder.child.kill("SIGKILL");
    await holder.exited;
    const marker = await acquireMarker(dir);
    expect(marker.previous).toMatchObject({ pid, ended: "crash", bootId: currentBootId() });
    expect(marker.previous?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Our own marker replaced the stale one.
    expect(JSON.parse(await readFile(marker.path, "utf8"))).toMatchObject({ pid: process.pid });
    await marker.release();
  });

  it("a holder killed but not reaped (a zombie) is dead, not a live archy", async () => {
    // A shell that starts the holder and never waits for it: the killed holder stays a zombie.
    const shell = spawn(
      "sh",
      ["-c", `${process.execPath} ${holderScript} ${dir} & echo $!; exec sleep 30`],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    const pid = Number(
      await new Promise<string>((resolve) =>
        shell.stdout.once("data", (d: Buffer) => resolve(d.toString().trim())),
      ),
    );
    for (
      let i = 0;
      i < 100 &&
      !(await readFile(join(dir, "archy.pid"), "utf8").catch(() => "")).includes(`"pid":${pid}`);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    process.kill(pid, "SIGKILL");
    for (
      let i = 0;
      i < 100 && !(await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "")).includes(") Z");
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await readFile(`/proc/${pid}/stat`, "utf8")).toContain(") Z");
    const marker = await acquireMarker(dir);
    expect(marker.previous).toMatchObject({ pid, ended: "crash" });
    await marker.release();
    shell.kill("SIGKILL");
  });

  it("a marker written under another boot id: ended is reboot", async () => {
    await acquireMarker(dir).then((m) => m.release());
    const stale = {
      pid: process.pid,
      startTime: processStartTime(process.pid),
      startedAt: "2026-01-01T00:00:00.000Z",
      bootId: "00000000-0000-0000-0000-000000000000",
      token: "t",
    };
    await writeFile(join(dir, "archy.pid"), JSON.stringify(stale));
    const marker = await acquireMarker(dir);
    expect(marker.previous).toEqual({
      pid: process.pid,
      startedAt: stale.startedAt,
      bootId: stale.bootId,
      ended: "reboot",
      cleanExit: false,
    });
    await marker.release();
  });

  it("a clean exit in another boot: ended is reboot, cleanExit; in this boot: null", async () => {
    const first = await acquireMarker(dir);
    await first.release();
    // A clean release leaves a record of its boot beside the (removed) marker.
    const last = JSON.parse(await readFile(join(dir, "archy.last"), "utf8")) as {
      bootId: string;
      startedAt: string;
    };
    expect(last).toMatchObject({ pid: process.pid, bootId: currentBootId() });
    const sameBoot = await acquireMarker(dir);
    expect(sameBoot.previous).toBeNull();
    await sameBoot.release();

    const earlier = { ...last, bootId: "00000000-0000-0000-0000-000000000000" };
    await writeFile(join(dir, "archy.last"), JSON.stringify(earlier));
    // A short-lived holder sees the reboot and leaves the record as it was...
    const oneOff = await acquireMarker(dir);
    expect(oneOff.previous).toMatchObject({ ended: "reboot", cleanExit: true });
    await oneOff.release({ restorePrevious: true });
    expect(JSON.parse(await readFile(join(dir, "archy.last"), "utf8"))).toEqual(earlier);
    // ...so the daemon that comes next still sees it.
    const daemon = await acquireMarker(dir);
    expect(daemon.previous).toEqual({
      pid: process.pid,
      startedAt: earlier.startedAt,
      bootId: earlier.bootId,
      ended: "reboot",
      cleanExit: true,
    });
    await daemon.release();
    expect((await acquireMarker(dir)).previous).toBeNull();
  });

  it("the recorded PID now belongs to an unrelated live process: a crash, not a live archy", async () => {
    await acquireMarker(dir).then((m) => m.release());
    // PID 1 is alive, but it did not start at this time.
    const recycled = {
      pid: 1,
      startTime: "999999999999",
      startedAt: "2026-01-01T00:00:00.000Z",
      bootId: currentBootId(),
      token: "t",
    };
    await writeFile(join(dir, "archy.pid"), JSON.stringify(recycled));
    const marker = await acquireMarker(dir);
    expect(marker.previous).toMatchObject({ pid: 1, ended: "crash" });
    await marker.release();
  });

  it.each([
    ["empty", ""],
    ["garbage", "\u0000\u0001not json"],
    ["json without a pid", '{"hello":1}'],
    ["a negative pid", '{"pid":-4}'],
  ])("%s marker: a crash with pid null, no exception", async (_label, content) => {
    await acquireMarker(dir).then((m) => m.release());
    await writeFile(join(dir, "archy.pid"), content);
    const marker = await acquireMarker(dir);
    expect(marker.previous).toEqual({
      pid: null,
      startedAt: null,
      bootId: null,
      ended: "crash",
      cleanExit: false,
    });
    await marker.release();
  });

  it(
    "two processes racing for the same folder: exactly one wins, 50 rounds",
    { timeout: 120_000 },
    async () => {
      for (let round = 0; round < 50; round++) {
        const roundDir = join(dir, `r${round}`);
        if (round % 2 === 1) {
          // Odd rounds race to break a stale marker left by a dead process.
          await acquireMarker(roundDir).then((m) => m.release());
          await writeFile(
            join(roundDir, "archy.pid"),
            JSON.stringify({
              pid: 999_999_999,
              startTime: "1",
              startedAt: "x",
              bootId: currentBootId(),
              token: "dead",
            }),
          );
        }
        const a = spawnHolder(roundDir, true);
        const b = spawnHolder(roundDir, true);
        await Promise.all([a.next(), b.next()]);
        a.child.stdin.write("go\n");
        b.child.stdin.write("go\n");
        const results = await Promise.all([a.next(), b.next()]);
        const winners = results.filter((r) => r.ok === true);
        const losers = results.filter((r) => r.ok === false);
        expect(winners, `round ${round}: ${JSON.stringify(results)}`).toHaveLength(1);
        expect(losers[0]).toMatchObject({ code: "EALREADYRUNNING" });
        const winnerPid = results[0]?.ok === true ? a.child.pid : b.child.pid;
        expect(losers[0]?.pid).toBe(winnerPid);
        if (round % 2 === 1)
          expect(winners[0]?.previous).toMatchObject({ ended: "crash", pid: 999_999_999 });
        a.child.stdin.end();
        b.child.stdin.end();
        await Promise.all([a.exited, b.exited]);
      }
    },
  );
});

describe("release({ restorePrevious: true })", () => {
  const deadRecord = () =>
    JSON.stringify({
      pid: 999_999_999,
      startTime: "1",
      startedAt: "2026-01-01T00:00:00.000Z",
      bootId: currentBootId(),
      token: "dead",
    });

  it("after a crash: puts the crashed run's marker back byte for byte; the next holder sees the crash", async () => {
    const holder = spawnHolder(dir);
    await holder.next();
    const pid = holder.child.pid;
    holder.child.kill("SIGKILL");
    await holder.exited;
    const crashed = await readFile(join(dir, "archy.pid"), "utf8");

    const brief = await acquireMarker(dir);
    expect(brief.previous).toMatchObject({ pid, ended: "crash" });
    await brief.release({ restorePrevious: true });
    await brief.release({ restorePrevious: true });
    expect(await readFile(join(dir, "archy.pid"), "utf8")).toBe(crashed);
    expect((await readdir(dir)).sort()).toEqual(["archy.pid"]);

    const next = await acquireMarker(dir);
    expect(next.previous).toEqual(brief.previous);
    await next.release();
    // Only the clean end's record is left (no temporary file, no lock).
    expect(await readdir(dir)).toEqual(["archy.last"]);
  });

  it.each([
    ["a reboot", "reboot"],
    ["a garbage marker", "garbage"],
  ])("after %s: the same evidence for the next holder", async (_label, kind) => {
    const text =
      kind === "reboot"
        ? JSON.stringify({
            pid: process.pid,
            startTime: processStartTime(process.pid),
            startedAt: "2026-01-01T00:00:00.000Z",
            bootId: "00000000-0000-0000-0000-000000000000",
            token: "t",
          })
        : "\u0000not json";
    await acquireMarker(dir).then((m) => m.release());
    await writeFile(join(dir, "archy.pid"), text);
    const brief = await acquireMarker(dir);
    expect(brief.previous).not.toBeNull();
    await brief.release({ restorePrevious: true });
    expect(await readFile(join(dir, "archy.pid"), "utf8")).toBe(text);
    const next = await acquireMarker(dir);
    expect(next.previous).toEqual(brief.previous);
    await next.release();
  });

  it("after a clean exit: a plain release, the next holder sees a clean start", async () => {
    await acquireMarker(dir).then((m) => m.release());
    const brief = await acquireMarker(dir);
    expect(brief.previous).toBeNull();
    await brief.release({ restorePrevious: true });
    expect(await readdir(dir)).toEqual(["archy.last"]);
    expect((await acquireMarker(dir)).previous).toBeNull();
  });

  it("never touches a marker another holder has taken", async () => {
    await acquireMarker(dir).then((m) => m.release());
    await writeFile(join(dir, "archy.pid"), deadRecord());
    const brief = await acquireMarker(dir);
    const other = JSON.stringify({
      pid: 1,
      startTime: processStartTime(1),
      startedAt: "x",
      bootId: currentBootId(),
      token: "other",
    });
    await writeFile(brief.path, other);
    await brief.release({ restorePrevious: true });
    expect(await readFile(brief.path, "utf8")).toBe(other);
    expect((await readdir(dir)).sort()).toEqual(["archy.last", "archy.pid"]);
  });

  it(
    "a racing acquirer sees our live marker or the crash, never a clean folder, 200 rounds",
    { timeout: 60_000 },
    async () => {
      for (let round = 0; round < 200; round++) {
        const roundDir = join(dir, `r${round}`);
        await acquireMarker(roundDir).then((m) => m.release());
        await writeFile(join(roundDir, "archy.pid"), deadRecord());
        const brief = await acquireMarker(roundDir);
        const released = brief.release({ restorePrevious: true });
        // Keep trying while the release runs; the first success must report the crash.
        let next: Awaited<ReturnType<typeof acquireMarker>> | null = null;
        while (next === null) {
          next = await acquireMarker(roundDir).catch((e: unknown) => {
            if (e instanceof AlreadyRunningError) return null;
            throw e;
          });
        }
        await released;
        expect(next.previous, `round ${round}`).toMatchObject({ pid: 999_999_999, ended: "crash" });
        await next.release();
      }
    },
  );
});
