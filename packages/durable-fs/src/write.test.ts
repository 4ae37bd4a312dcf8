import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeFs } from "./node-fs.js";
import { RecordingFs } from "./recording-fs.js";
import { makeDirDurably, unlinkDurably, writeFileDurably } from "./write.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-durable-fs-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("on the real filesystem", () => {
  it("writeFileDurably replaces a file, leaves no temporary file, and sets the mode", async () => {
    const path = join(root, "file.json");
    await writeFileDurably(nodeFs, path, "one");
    await writeFileDurably(nodeFs, path, "two", { mode: 0o640 });
    expect(await readFile(path, "utf8")).toBe("two");
    expect(await readdir(root)).toEqual(["file.json"]);
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  it("writeFileDurably removes its temporary file when the rename fails", async () => {
    await expect(writeFileDurably(nodeFs, join(root, "no", "file"), "x")).rejects.toMatchObject({
      code: "ENOENT",
    });
    await makeDirDurably(nodeFs, join(root, "d"));
    const failing = { ...nodeFs, rename: () => Promise.reject(new Error("disk full")) };
    await expect(writeFileDurably(failing, join(root, "d", "f"), "x")).rejects.toThrow("disk full");
    expect(await readdir(join(root, "d"))).toEqual([]);
  });

  it("unlinkDurably removes a file and accepts one already gone; makeDirDurably is mkdir -p", async () => {
    await makeDirDurably(nodeFs, join(root, "a", "b"), 0o700);
    expect((await stat(join(root, "a", "b"))).mode & 0o777).toBe(0o700);
    const path = join(root, "a", "b", "f");
    await writeFileDurably(nodeFs, path, "x");
    await unlinkDurably(nodeFs, path);
    await unlinkDurably(nodeFs, path);
    expect(await readdir(join(root, "a", "b"))).toEqual([]);
  });
});

describe("makeDirDurably", () => {
  it("fsyncs the parent of every folder it creates, so none can vanish", async () => {
    const fs = new RecordingFs();
    await fs.mkdir("/var", 0o755);
    fs.barrier();
    await makeDirDurably(fs, "/var/lib/archy");
    expect(fs.operations().filter((op) => op.startsWith("fsync"))).toEqual([
      "fsync folder /var",
      "fsync folder /var/lib",
    ]);
    for (const state of fs.crashStates().filter((s) => s.final))
      expect(await state.fs.readdir("/var/lib/archy")).toEqual([]);
    fs.barrier();
    await makeDirDurably(fs, "/var/lib/archy");
    expect(fs.operations()).toEqual([]);
  });
});
