import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createSnapshotStore,
  SnapshotCorruptError,
  SnapshotError,
  SnapshotVersionError,
} from "./index.js";
// @ts-expect-error plain JS fixture shared with the child process
import { payloadFor } from "../test/fixtures/payload.mjs";

const saverScript = fileURLToPath(new URL("../test/fixtures/saver.mjs", import.meta.url));

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "archy-snapshot-"));
  file = join(dir, "snapshot.json");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("save and load", () => {
  it("returns null when there is no file", async () => {
    expect(await createSnapshotStore({ path: file, version: 1 }).load()).toBeNull();
  });

  it("writes the documented envelope, pretty, mode 0600, and reads it back", async () => {
    const store = createSnapshotStore<{ apps: string[] }>({ path: file, version: 3 });
    const before = Date.now();
    await store.save({ apps: ["web"] });
    const text = await readFile(file, "utf8");
    expect(text).toContain('\n  "version": 3,');
    const env = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(env)).toEqual(["version", "savedAt", "checksum", "data"]);
    expect(env.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const loaded = await store.load();
    expect(loaded).toEqual({ data: { apps: ["web"] }, version: 3, savedAt: env.savedAt });
    expect(loaded!.savedAt).toBeGreaterThanOrEqual(before);
  });

  it("honours a custom mode", async () => {
    await createSnapshotStore({ path: file, version: 1, mode: 0o640 }).save({});
    expect((await stat(file)).mode & 0o777).toBe(0o640);
  });

  it("keeps the previous good file as .bak", async () => {
    const store = createSnapshotStore<number>({ path: file, version: 1 });
    await store.save(1);
    await store.save(2);
    expect(store.backupPath).toBe(`${file}.bak`);
    const bak = JSON.parse(await readFile(`${file}.bak`, "utf8")) as { data: number };
    expect(bak.data).toBe(1);
    expect((await store.load())?.data).toBe(2);
    // Nothing else is left in the folder.
    expect((await readdir(dir)).sort()).toEqual(["snapshot.json", "snapshot.json.bak"]);
  });

  it("serialises and coalesces concurrent saves: the last data wins, every caller resolves", async () => {
    const store = createSnapshotStore<number>({ path: file, version: 1 });
    let writes = 0;
    const seen: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.save(i).then(async () => {
          seen.push((await store.load())?.data ?? -1);
          writes++;
        }),
      ),
    );
    expect(results).toHaveLength(20);
    expect(writes).toBe(20);
    expect((await store.load())?.data).toBe(19);
    // The first save was written alone, then all the others as one write of the last data.
    const bak = JSON.parse(await readFile(`${file}.bak`, "utf8")) as { data: number };
    expect(bak.data).toBe(0);
  });

  it.each([
    ["empty", "", "the file is empty"],
    ["truncated", '{"version": 1, "savedAt": 1, "chec', "invalid JSON"],
    ["not an object", "[1,2]", "not a snapshot envelope"],
    ["no version", '{"savedAt":1,"checksum":"x","data":1}', "version"],
    [
      "checksum mismatch",
      JSON.stringify({ version: 1, savedAt: 1, checksum: "sha256:00", data: { a: 1 } }),
      "checksum mismatch",
    ],
  ])("%s file -> SnapshotCorruptError with the reason", async (_l, content, reason) => {
    await writeFile(file, content);
    const err = await createSnapshotStore({ path: file, version: 1 })
      .load()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotCorruptError);
    expect(SnapshotError.isInstance(err)).toBe(true);
    expect((err as SnapshotCorruptError).code).toBe("ESNAPSHOTCORRUPT");
    expect((err as SnapshotCorruptError).path).toBe(file);
    expect((err as Error).message).toContain(reason);
  });

  it("validate throwing -> SnapshotCorruptError; validate's result is returned", async () => {
    await createSnapshotStore({ path: file, version: 1 }).save({ n: "x" });
    const strict = createSnapshotStore<{ n: number }>({
      path: file,
      version: 1,
      validate: (d) => {
        if (typeof (d as { n: unknown }).n !== "number") throw new Error("n must be a number");
        return d as { n: number };
      },
    });
    await expect(strict.load()).rejects.toThrow(/invalid data: n must be a number/);
    await createSnapshotStore({ path: file, version: 1 }).save({ n: 4 });
    expect((await strict.load())?.data).toEqual({ n: 4 });
  });
});

describe("versions", () => {
  it("a newer version -> SnapshotVersionError; never renamed, overwritten or deleted", async () => {
    await createSnapshotStore({ path: file, version: 5 }).save({ future: true });
    const original = await readFile(file, "utf8");
    const old = createSnapshotStore({ path: file, version: 2 });
    const err = await old.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotVersionError);
    expect(err).toMatchObject({ code: "ESNAPSHOTVERSION", found: 5, expected: 2 });
    await expect(old.loadOrRecover()).rejects.toBeInstanceOf(SnapshotVersionError);
    await expect(old.save({ past: true })).rejects.toBeInstanceOf(SnapshotVersionError);
    expect(await readFile(file, "utf8")).toBe(original);
    expect(await readdir(dir)).toEqual(["snapshot.json"]);
  });

  it("an older version is migrated step by step", async () => {
    await createSnapshotStore({ path: file, version: 1 }).save({ apps: "web" });
    const store = createSnapshotStore<{ apps: string[]; v3: true }>({
      path: file,
      version: 3,
      migrations: {
        1: (d) => ({ apps: [(d as { apps: string }).apps] }),
        2: (d) => ({ ...(d as object), v3: true }),
      },
    });
    expect(await store.load()).toMatchObject({
      data: { apps: ["web"], v3: true },
      version: 3,
      migratedFrom: 1,
    });
  });

  it("an older version without the needed migration -> SnapshotVersionError", async () => {
    await createSnapshotStore({ path: file, version: 1 }).save({});
    const store = createSnapshotStore({ path: file, version: 3, migrations: { 1: (d) => d } });
    await expect(store.load()).rejects.toMatchObject({
      code: "ESNAPSHOTVERSION",
      found: 1,
      expected: 3,
      message: expect.stringContaining("no migration from version 2 to 3"),
    });
  });
});

describe("loadOrRecover", () => {
  it("a good file loads as is", async () => {
    const store = createSnapshotStore<number>({ path: file, version: 1 });
    await store.save(7);
    expect(await store.loadOrRecover()).toEqual({ loaded: expect.objectContaining({ data: 7 }) });
  });

  it("a corrupt main file is quarantined and the backup loaded", async () => {
    const store = createSnapshotStore<number>({ path: file, version: 1 });
    await store.save(1);
    await store.save(2);
    await writeFile(file, '{"version":1,"savedAt":1,"checksum":"sha256:0","data":2');
    const result = await store.loadOrRecover();
    expect(result.loaded?.data).toBe(1);
    expect(result.recoveredFrom).toBe("backup");
    expect(result.quarantined).toMatch(/snapshot\.json\.corrupt-\d{4}-\d\d-\d\dT[\d-]+Z$/);
    expect(await readFile(result.quarantined!, "utf8")).toContain('"data":2');
    // The next save does not turn the corrupt file into the backup.
    await store.save(3);
    expect((await store.load())?.data).toBe(3);
    expect(JSON.parse(await readFile(`${file}.bak`, "utf8"))).toMatchObject({ data: 1 });
  });

  it("a file over maxBytes is corrupt without being read: quarantined, the backup loaded", async () => {
    const store = createSnapshotStore<string>({ path: file, version: 1, maxBytes: 1000 });
    await store.save("small");
    await store.save("also small");
    // A valid envelope (its checksum right), only too large.
    const big = createSnapshotStore<string>({ path: join(dir, "big.json"), version: 1 });
    await big.save("x".repeat(2000));
    await writeFile(file, await readFile(join(dir, "big.json")));
    await expect(store.load()).rejects.toThrow(/\d+ bytes, more than the 1000 a snapshot may hold/);
    const result = await store.loadOrRecover();
    expect(result.loaded?.data).toBe("small");
    expect(result.recoveredFrom).toBe("backup");
    expect(await big.load()).toMatchObject({ data: "x".repeat(2000) }); // the default limit is larger
  });

  it("two quarantines never overwrite each other", async () => {
    const store = createSnapshotStore<number>({ path: file, version: 1 });
    await writeFile(file, "one");
    const a = await store.loadOrRecover();
    await writeFile(file, "two");
    const b = await store.loadOrRecover();
    expect(a.quarantined).not.toBe(b.quarantined);
    expect(await readFile(a.quarantined!, "utf8")).toBe("one");
    expect(await readFile(b.quarantined!, "utf8")).toBe("two");
    expect(a.loaded).toBeNull();
  });

  it("a corrupt main file and no usable backup: loaded is null, nothing deleted", async () => {
    await writeFile(file, "garbage");
    await writeFile(`${file}.bak`, "also garbage");
    const result = await createSnapshotStore({ path: file, version: 1 }).loadOrRecover();
    expect(result.loaded).toBeNull();
    expect(result.recoveredFrom).toBeUndefined();
    expect(await readFile(`${file}.bak`, "utf8")).toBe("also garbage");
  });

  it("a missing main file with a good backup loads the backup", async () => {
    const store = createSnapshotStore<number>({ path: file, version: 1 });
    await store.save(1);
    await store.save(2);
    await rm(file);
    expect(await store.loadOrRecover()).toMatchObject({
      loaded: { data: 1 },
      recoveredFrom: "backup",
    });
  });

  it("save moves a corrupt main file aside instead of overwriting it", async () => {
    await writeFile(file, "precious garbage");
    await createSnapshotStore<number>({ path: file, version: 1 }).save(1);
    const names = await readdir(dir);
    const corrupt = names.find((n) => n.startsWith("snapshot.json.corrupt-"));
    expect(corrupt).toBeDefined();
    expect(await readFile(join(dir, corrupt!), "utf8")).toBe("precious garbage");
  });

  it("a write error surfaces and leaves the old snapshot", async () => {
    const store = createSnapshotStore<number>({ path: file, version: 1 });
    await store.save(1);
    // The backup cannot be made (a folder is in its way): the save fails before touching the snapshot.
    await mkdir(`${file}.bak`);
    await writeFile(join(`${file}.bak`, "x"), "");
    await expect(store.save(2)).rejects.toThrow();
    expect((await store.load())?.data).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(["snapshot.json", "snapshot.json.bak"]);
    // Later saves still work once the way is clear.
    await rm(`${file}.bak`, { recursive: true });
    await store.save(3);
    expect((await store.load())?.data).toBe(3);
  });
});

describe("torture", () => {
  it(
    "a writer SIGKILLed at a random moment, 100 rounds: always a complete snapshot that was written",
    { timeout: 120_000 },
    async () => {
      const store = createSnapshotStore<{ seq: number; payload: string }>({
        path: file,
        version: 1,
      });
      let lastSeq = 0;
      for (let round = 0; round < 100; round++) {
        const child = spawn(process.execPath, [saverScript, file], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        await new Promise<void>((resolve, reject) => {
          child.stdout.once("data", () => resolve());
          child.once("exit", (code) => reject(new Error(`saver exited early with ${code}`)));
        });
        await new Promise((r) => setTimeout(r, Math.random() * 40));
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await exited;
        const loaded = await store.load();
        expect(loaded, `round ${round}`).not.toBeNull();
        const { seq, payload } = loaded!.data;
        expect(seq).toBeGreaterThanOrEqual(1);
        expect(
          payload === payloadFor(seq),
          `round ${round}: payload of seq ${seq} is not the one written`,
        ).toBe(true);
        lastSeq = Math.max(lastSeq, seq);
      }
      expect(lastSeq).toBeGreaterThan(1);
      // Temporary files of killed writers are swept by the next save.
      await store.save({ seq: 0, payload: "" });
      expect((await readdir(dir)).sort()).toEqual(["snapshot.json", "snapshot.json.bak"]);
    },
  );
});
