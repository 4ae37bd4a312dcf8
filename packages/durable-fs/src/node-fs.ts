import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import type { DurableFs, WritableFile } from "./types.js";

/** The real filesystem (node:fs/promises). */
export const nodeFs: DurableFs = {
  async create(path, mode): Promise<WritableFile> {
    const handle = await open(path, "wx", mode);
    return {
      write: async (data) => {
        await handle.writeFile(data);
      },
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  },
  readFile: (path) => readFile(path, "utf8"),
  readdir: (dir) => readdir(dir),
  stat: async (path) => {
    const { mtimeMs, size } = await stat(path);
    return { mtimeMs, size };
  },
  rename: (from, to) => rename(from, to),
  link: (from, to) => link(from, to),
  unlink: (path) => unlink(path),
  mkdir: (dir, mode) => mkdir(dir, { recursive: true, mode }),
  async fsyncDir(dir) {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
