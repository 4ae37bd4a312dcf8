import { chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { nodeFs, type DurableFs } from "@archy/durable-fs";
import { checkWritePath, formatViolation, type RecordingFs } from "@archy/durable-fs/testing";
import { tempDir } from "@archy/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConvertError } from "./errors.js";
import { writeFiles } from "./write-files.js";

let root: { path: string; remove: () => Promise<void> };
let dir: string;
beforeEach(async () => {
  root = await tempDir("archy-write-files-");
  dir = join(root.path, "out");
});
afterEach(async () => {
  await root.remove();
});

const read = (name: string) => readFile(join(dir, name), "utf8");
const modeOf = async (name: string) => (await stat(join(dir, name))).mode & 0o777;
const statuses = (written: { path: string; status: string }[]) =>
  written.map((w) => [w.path.slice(dir.length + 1), w.status]);

/** What `mode` becomes under this process's umask (a probe file tells). */
async function underUmask(mode: number): Promise<number> {
  const probe = join(root.path, "umask-probe");
  await writeFile(probe, "", { mode: 0o777 });
  const allowed = (await stat(probe)).mode & 0o777;
  return mode & allowed;
}

describe("writeFiles", () => {
  it("says which files it created, changed, left unchanged and removed", async () => {
    expect(
      statuses(
        await writeFiles(dir, [
          { name: "a.container", text: "a1\n" },
          { name: "b.container", text: "b1\n" },
          { name: "c.container", text: "c1\n" },
        ]),
      ),
    ).toEqual([
      ["a.container", "created"],
      ["b.container", "created"],
      ["c.container", "created"],
    ]);
    const second = await writeFiles(
      dir,
      [
        { name: "a.container", text: "a1\n" },
        { name: "b.container", text: "b2\n" },
        { name: "d.container", text: "d1\n" },
      ],
      { force: true, prune: (n) => n.endsWith(".container") },
    );
    expect(statuses(second)).toEqual([
      ["a.container", "unchanged"],
      ["b.container", "changed"],
      ["d.container", "created"],
      ["c.container", "removed"],
    ]);
    expect(second[0]!.path).toBe(join(dir, "a.container"));
    expect(await read("b.container")).toBe("b2\n");
    expect((await readdir(dir)).sort()).toEqual(["a.container", "b.container", "d.container"]);
  });

  it("leaves an unchanged file alone (same inode and mtime)", async () => {
    await writeFiles(dir, [{ name: "a.container", text: "same\n" }]);
    const before = await stat(join(dir, "a.container"));
    await writeFiles(dir, [{ name: "a.container", text: "same\n" }]);
    const after = await stat(join(dir, "a.container"));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it("without force, refuses to replace other content (EEXISTS) and writes nothing at all", async () => {
    await mkdir(dir);
    await writeFile(join(dir, "a.container"), "edited by hand\n");
    const error = await writeFiles(dir, [
      { name: "new.container", text: "n\n" },
      { name: "a.container", text: "generated\n" },
    ]).catch((e: unknown) => e);
    expect(ConvertError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "EEXISTS" });
    expect((error as Error).message).toContain(join(dir, "a.container"));
    expect(await readdir(dir)).toEqual(["a.container"]);
    expect(await read("a.container")).toBe("edited by hand\n");
    // Identical content is not a conflict.
    await writeFile(join(dir, "a.container"), "generated\n");
    expect(statuses(await writeFiles(dir, [{ name: "a.container", text: "generated\n" }]))).toEqual(
      [["a.container", "unchanged"]],
    );
  });

  it("prunes only what the predicate claims, never the files it writes", async () => {
    await mkdir(dir);
    for (const name of [
      "archy-old.container",
      "archy-web.container",
      "mine.container",
      "notes.txt",
    ])
      await writeFile(join(dir, name), "x\n");
    const written = await writeFiles(dir, [{ name: "archy-web.container", text: "web\n" }], {
      force: true,
      prune: (n) => n.startsWith("archy-"),
    });
    expect(statuses(written)).toEqual([
      ["archy-web.container", "changed"],
      ["archy-old.container", "removed"],
    ]);
    expect((await readdir(dir)).sort()).toEqual([
      "archy-web.container",
      "mine.container",
      "notes.txt",
    ]);
    // Nothing to write and nothing claimed: nothing happens.
    expect(await writeFiles(dir, [], { prune: () => false })).toEqual([]);
  });

  it("gives new files 0644, or the mode asked for (0600 for secrets), also when replacing", async () => {
    await writeFiles(dir, [
      { name: "a.container", text: "a\n" },
      { name: "a.env", text: "TOKEN=1\n", mode: 0o600 },
    ]);
    expect(await modeOf("a.container")).toBe(await underUmask(0o644));
    expect(await modeOf("a.env")).toBe(0o600);
    await chmod(join(dir, "a.env"), 0o644);
    await writeFiles(dir, [{ name: "a.env", text: "TOKEN=2\n", mode: 0o600 }], { force: true });
    expect(await modeOf("a.env")).toBe(0o600);
    expect(await readdir(dir)).toEqual(["a.container", "a.env"]);
  });

  it("fails with EOUTPUT when the folder cannot be written, with the cause", async () => {
    const file = join(root.path, "a-file");
    await writeFile(file, "");
    await expect(
      writeFiles(join(file, "sub"), [{ name: "a.container", text: "a\n" }]),
    ).rejects.toMatchObject({
      code: "EOUTPUT",
      message: expect.stringContaining(`cannot write into ${join(file, "sub")}`),
    });
    // A folder the process may not write into (root may write anywhere: simulated).
    const denied: DurableFs = {
      ...nodeFs,
      create: () =>
        Promise.reject(Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" })),
    };
    const error = (await writeFiles(dir, [{ name: "a.container", text: "a\n" }], {
      fs: denied,
    }).catch((e: unknown) => e)) as ConvertError;
    expect(error.code).toBe("EOUTPUT");
    expect(error.message).toBe(`cannot write into ${dir}: permission denied`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe("EACCES");
  });

  it("refuses file names that are paths, hidden, or given twice", async () => {
    for (const name of ["../escape", "sub/a.container", ".hidden", ""])
      await expect(writeFiles(dir, [{ name, text: "x" }])).rejects.toMatchObject({
        code: "EOUTPUT",
      });
    await expect(
      writeFiles(dir, [
        { name: "a.container", text: "one" },
        { name: "a.container", text: "two" },
      ]),
    ).rejects.toThrow(/two files named "a.container"/);
    await expect(readdir(dir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("replaces a file atomically and durably: a power cut leaves the old or the new one, whole", async () => {
    const load = async (fs: RecordingFs) => fs.readFile("/units/a.container").catch(() => null);
    const reports = [
      await checkWritePath({
        name: "replace",
        setup: async (fs) => {
          await writeFiles("/units", [{ name: "a.container", text: "old\n" }], { fs });
        },
        write: async (fs) => {
          await writeFiles("/units", [{ name: "a.container", text: "new\n" }], { fs, force: true });
        },
        load,
      }),
      await checkWritePath({
        name: "create in a new folder",
        write: async (fs) => {
          await writeFiles("/units", [{ name: "a.container", text: "new\n" }], { fs });
        },
        load,
      }),
      await checkWritePath({
        name: "prune",
        setup: async (fs) => {
          await writeFiles("/units", [{ name: "a.container", text: "old\n" }], { fs });
        },
        write: async (fs) => {
          await writeFiles("/units", [], { fs, prune: () => true });
        },
        load,
      }),
    ];
    for (const report of reports)
      expect(report.violations.map((v) => formatViolation(report, v))).toEqual([]);
  });
});
