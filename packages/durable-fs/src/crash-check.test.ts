import { describe, expect, it } from "vitest";
import { checkWritePath, formatViolation, type WritePath } from "./crash-check.js";
import type { RecordingFs } from "./recording-fs.js";
import type { DurableFs } from "./types.js";
import { unlinkDurably, writeFileDurably } from "./write.js";

const load = (fs: RecordingFs) => fs.readFile("/s/file").catch(() => null);

/** Replaces `/s/file` ("old") with "new" using `writer`. */
function replacing(writer: (fs: DurableFs) => Promise<void>): WritePath<string | null> {
  return {
    name: "replace /s/file",
    setup: async (fs) => {
      await fs.mkdir("/s", 0o700);
      await writeFileDurably(fs, "/s/file", "old");
    },
    write: writer,
    load,
  };
}

describe("checkWritePath", () => {
  it("passes writeFileDurably: first write, replacement and removal", async () => {
    const reports = await Promise.all([
      checkWritePath({
        name: "first write",
        setup: (fs) => fs.mkdir("/s", 0o700).then(() => undefined),
        write: (fs) => writeFileDurably(fs, "/s/file", "new"),
        load,
      }),
      checkWritePath(replacing((fs) => writeFileDurably(fs, "/s/file", "new"))),
      checkWritePath(replacing((fs) => unlinkDurably(fs, "/s/file"))),
    ]);
    for (const report of reports) {
      expect(report.violations.map((v) => formatViolation(report, v))).toEqual([]);
      expect(report.states).toBeGreaterThan(1);
    }
  });

  it("fails a writer that renames before fsyncing the data (the empty file after a power cut)", async () => {
    const report = await checkWritePath(
      replacing(async (fs) => {
        const file = await fs.create("/s/.tmp", 0o600);
        await file.write("new");
        await file.close();
        await fs.rename("/s/.tmp", "/s/file");
        await fs.fsyncDir("/s");
      }),
    );
    expect(report.violations.map((v) => v.found)).toContain('""');
    expect(formatViolation(report, report.violations[0]!)).toMatch(/a power cut after/);
  });

  it("fails a writer that does not fsync the folder (the old file after an acknowledged write)", async () => {
    const report = await checkWritePath(
      replacing(async (fs) => {
        const file = await fs.create("/s/.tmp", 0o600);
        await file.write("new");
        await file.sync();
        await file.close();
        await fs.rename("/s/.tmp", "/s/file");
      }),
    );
    expect(report.violations.length).toBeGreaterThan(0);
    for (const v of report.violations)
      expect(v).toMatchObject({ found: '"old"', expected: 'the new "new"' });
  });

  it("fails a writer that overwrites in place (torn content)", async () => {
    const report = await checkWritePath(
      replacing(async (fs) => {
        await fs.unlink("/s/file");
        const file = await fs.create("/s/file", 0o600);
        await file.write("new");
        await file.sync();
        await file.close();
        await fs.fsyncDir("/s");
      }),
    );
    expect(report.violations.map((v) => v.found)).toEqual(expect.arrayContaining(["null", '"n"']));
  });

  it("refuses a write that changes nothing a load can see", async () => {
    await expect(
      checkWritePath(replacing((fs) => writeFileDurably(fs, "/s/file", "old"))),
    ).rejects.toThrow(/unchanged/);
  });
});
