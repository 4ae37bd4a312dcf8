import { describe, expect, it } from "vitest";
import { RecordingFs } from "./recording-fs.js";

/** The text of `path` in every crash state ("-" when absent). */
async function outcomes(fs: RecordingFs, path: string): Promise<Set<string>> {
  const seen = new Set<string>();
  for (const state of fs.crashStates()) seen.add(await state.fs.readFile(path).catch(() => "-"));
  return seen;
}

async function put(fs: RecordingFs, path: string, text: string, sync: boolean): Promise<void> {
  const file = await fs.create(path, 0o600);
  await file.write(text);
  if (sync) await file.sync();
  await file.close();
}

describe("RecordingFs", () => {
  it("reads back what was written, like a filesystem", async () => {
    const fs = new RecordingFs();
    expect(await fs.mkdir("/a/b", 0o700)).toBe("/a");
    expect(await fs.mkdir("/a/b", 0o700)).toBeUndefined();
    await put(fs, "/a/b/x", "one", false);
    await fs.link("/a/b/x", "/a/b/y");
    await fs.rename("/a/b/y", "/a/b/z");
    expect(await fs.readdir("/a/b")).toEqual(["x", "z"]);
    expect(await fs.readFile("/a/b/z")).toBe("one");
    await fs.unlink("/a/b/x");
    await expect(fs.readFile("/a/b/x")).rejects.toMatchObject({ code: "ENOENT" });
    await expect(fs.create("/a/b/z", 0o600)).rejects.toMatchObject({ code: "EEXIST" });
    await expect(fs.link("/a/b/z", "/a/b/z")).rejects.toMatchObject({ code: "EEXIST" });
    await expect(fs.create("/nowhere/x", 0o600)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a barrier makes everything durable: one crash state, the current one", async () => {
    const fs = new RecordingFs();
    await put(fs, "/x", "kept", false);
    fs.barrier();
    expect(await outcomes(fs, "/x")).toEqual(new Set(["kept"]));
  });

  it("bytes not fsynced may be lost, torn or zeros; a name not fsynced may be missing", async () => {
    const fs = new RecordingFs();
    await put(fs, "/x", "abcd", false);
    expect(await outcomes(fs, "/x")).toEqual(
      new Set(["-", "", "a", "ab", "abc", "abcd", "\0\0\0\0"]),
    );
  });

  it("an fsynced file keeps its bytes but not its name until the folder is fsynced", async () => {
    const fs = new RecordingFs();
    await put(fs, "/x", "abcd", true);
    const states = fs.crashStates().filter((s) => s.final);
    const final = new Set(
      await Promise.all(states.map((s) => s.fs.readFile("/x").catch(() => "-"))),
    );
    expect(final).toEqual(new Set(["-", "abcd"]));
    await fs.fsyncDir("/");
    expect(
      await Promise.all(
        fs
          .crashStates()
          .filter((s) => s.final)
          .map((s) => s.fs.readFile("/x")),
      ),
    ).toEqual(["abcd"]);
  });

  it("a rename is all or nothing, and undone by a cut before the folder's fsync", async () => {
    const fs = new RecordingFs();
    await put(fs, "/x", "old", true);
    fs.barrier();
    await put(fs, "/tmp", "new", true);
    await fs.rename("/tmp", "/x");
    for (const state of fs.crashStates()) {
      const names = await state.fs.readdir("/");
      expect(names).toContain("x");
      if (state.final) expect(["old", "new"]).toContain(await state.fs.readFile("/x"));
    }
    expect(await outcomes(fs, "/x")).toEqual(new Set(["old", "new"]));
  });

  it("an unsynced change may persist while an earlier one does not (no order assumed)", async () => {
    const fs = new RecordingFs();
    await put(fs, "/a", "1", true);
    await put(fs, "/b", "2", true);
    const pairs = new Set<string>();
    for (const state of fs.crashStates().filter((s) => s.final))
      pairs.add((await state.fs.readdir("/")).join(","));
    expect(pairs).toEqual(new Set(["", "a", "b", "a,b"]));
  });

  it("renaming a name onto another name of the same file does nothing (POSIX)", async () => {
    const fs = new RecordingFs();
    await put(fs, "/x", "one", true);
    await fs.link("/x", "/y");
    await fs.rename("/y", "/x");
    expect(await fs.readdir("/")).toEqual(["x", "y"]);
  });

  it("a new folder may vanish until its parent is fsynced", async () => {
    const fs = new RecordingFs();
    await fs.mkdir("/s", 0o700);
    await put(fs, "/s/x", "v", true);
    await fs.fsyncDir("/s");
    const final = fs.crashStates().filter((s) => s.final);
    expect(
      new Set(await Promise.all(final.map((s) => s.fs.readFile("/s/x").catch(() => "-")))),
    ).toEqual(new Set(["-", "v"]));
  });

  it("refuses to enumerate more unsynced folder changes than it can afford", async () => {
    const fs = new RecordingFs();
    for (let i = 0; i < 13; i++) await put(fs, `/f${i}`, "x", true);
    expect(() => fs.crashStates()).toThrow(/too many/);
  });
});
