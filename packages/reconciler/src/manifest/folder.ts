import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  makeDirDurably,
  nodeFs,
  unlinkDurably,
  writeFileDurably,
  type DurableFs,
} from "@archy/durable-fs";
import { ManifestInvalidError, UnknownAppError } from "../errors.js";
import type { AppManifest, ManifestCache, ManifestError } from "./index.js";
import { MANIFEST_CACHE_FILE, readManifestCache, writeManifestCache } from "./cache.js";
import { checkParsed, loadManifests } from "./load.js";
import { dependencyOrder } from "../pass/planner.js";
import type { Logger } from "../types.js";

export interface ManifestsFolderOptions {
  /**
   * The state folder: parsed manifests are kept there between processes
   * (`manifests.cache.json`, see manifest/cache.ts), so a process that starts
   * does not parse unchanged files again. Without it, only in memory.
   */
  stateDir?: string;
  /** The filesystem manifests are written (installed, restored, removed) through; the real one by default. */
  fs?: DurableFs;
}

/**
 * Writes an installed manifest so that a power cut at any instant leaves the
 * old file or the new one, and the new one once this resolves: the folder is
 * created durably, the file replaced through a fsynced temporary file and a
 * rename, the folder fsynced.
 */
export async function writeManifestFile(
  fs: DurableFs,
  dir: string,
  target: string,
  text: string,
): Promise<void> {
  await makeDirDurably(fs, dir, 0o755);
  await writeFileDurably(fs, target, text, { mode: 0o600 });
}

/** Removes a manifest (absent is fine); the removal survives a power cut once this resolves. */
export async function removeManifestFile(fs: DurableFs, file: string): Promise<void> {
  await unlinkDurably(fs, file);
}

/** `file=inode:size:mtime` of every entry: whether a reload changed the cache. */
const cacheKeys = (cache: ManifestCache) =>
  [...cache].map(([file, { key }]) => `${file}=${key}`).join("\n");

/**
 * The apps archy manages: the manifests folder (re-read on every pass, parsed
 * files cached by inode/size/mtime, in memory and in the state folder) or a
 * fixed list, valid apps in dependency order; and the writes to that folder
 * (install, resurrect, remove), atomic.
 */
export class ManifestsFolder {
  private apps: AppManifest[] = [];
  private invalid: string[] = [];
  private errors: ManifestError[] = [];
  private loaded = false;
  private cache: Promise<ManifestCache> | null = null;
  private readonly cacheFile: string | undefined;
  private readonly fs: DurableFs;

  constructor(
    readonly dir: string | undefined,
    private readonly fixed: AppManifest[] | undefined,
    private readonly log: Logger,
    opts: ManifestsFolderOptions = {},
  ) {
    this.cacheFile =
      opts.stateDir !== undefined ? join(opts.stateDir, MANIFEST_CACHE_FILE) : undefined;
    this.fs = opts.fs ?? nodeFs;
  }

  /** Re-reads the folder (or the fixed list). */
  async reload(): Promise<{ apps: AppManifest[]; errors: ManifestError[] }> {
    const result = this.fixed
      ? await checkParsed(this.fixed.map((app) => ({ app, errors: [], file: app.file })))
      : await this.loadFolder(this.dir!);
    const order = dependencyOrder(result.apps);
    this.apps = result.apps.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    this.invalid = result.invalidIds;
    this.errors = result.errors;
    this.loaded = true;
    for (const e of this.errors)
      this.log.warn({ file: e.file, line: e.line, column: e.column, path: e.path }, e.message);
    return { apps: this.apps, errors: this.errors };
  }

  /** The folder through the cache; the cache file is read on first use and written when it changed. */
  private async loadFolder(dir: string) {
    this.cache ??= this.cacheFile
      ? readManifestCache(this.cacheFile)
      : Promise.resolve<ManifestCache>(new Map());
    const cache = await this.cache;
    const before = this.cacheFile ? cacheKeys(cache) : "";
    const result = await loadManifests(dir, cache);
    if (this.cacheFile && cacheKeys(cache) !== before)
      await writeManifestCache(this.cacheFile, cache).catch((error: unknown) =>
        // Only a cache: the next process parses the files again.
        this.log.debug(
          { file: this.cacheFile, err: String(error) },
          "could not write the manifest cache",
        ),
      );
    return result;
  }

  async ensureLoaded(): Promise<void> {
    if (!this.loaded) await this.reload();
  }

  /** The valid apps as last loaded, in dependency order. */
  valid(): AppManifest[] {
    return this.apps;
  }

  /** Ids whose manifests exist but are invalid: their containers are not orphans. */
  invalidIds(): string[] {
    return this.invalid;
  }

  manifestErrors(): ManifestError[] {
    return this.errors;
  }

  /** The app, re-reading the folder once if it is not known yet. */
  async require(id: string): Promise<AppManifest> {
    await this.ensureLoaded();
    let app = this.apps.find((a) => a.id === id);
    if (!app && this.dir) {
      await this.reload();
      app = this.apps.find((a) => a.id === id);
    }
    if (!app) throw new UnknownAppError(id);
    return app;
  }

  /**
   * Validates a manifest together with the others and writes it as
   * `<id>.yaml`, atomically. Returns its id.
   */
  async install(text: string, fileName = "manifest.yaml"): Promise<string> {
    const dir = this.writable();
    const [{ parseManifest }, { checkAcrossFiles }] = await Promise.all([
      import("./parse.js"),
      import("./across-files.js"),
    ]);
    const parsed = parseManifest(text, fileName);
    if (!parsed.app) throw new ManifestInvalidError(parsed.errors);
    await this.reload();
    const target = join(dir, `${parsed.app.id}.yaml`);
    const id = parsed.app.id;
    const others = this.apps.filter((a) => a.id !== id && a.file !== target);
    const check = checkAcrossFiles([
      ...others.map((app) => ({ app, errors: [], file: app.file })),
      { ...parsed, app: { ...parsed.app, file: target } },
    ]);
    const mine = check.errors.filter((e) => e.app === id);
    if (mine.length) throw new ManifestInvalidError(mine);
    await writeManifestFile(this.fs, dir, target, text);
    await this.reload();
    return id;
  }

  /**
   * Writes manifests exactly as a snapshot holds them (resurrect); a file
   * that already has that text is left alone. Returns the ids written and
   * the ids unchanged.
   */
  async restore(
    manifests: { id: string; file: string; source: string }[],
  ): Promise<{ restored: string[]; unchanged: string[] }> {
    const dir = this.writable();
    const restored: string[] = [];
    const unchanged: string[] = [];
    for (const m of manifests) {
      const target = join(dir, basename(m.file));
      if ((await readFile(target, "utf8").catch(() => null)) === m.source) unchanged.push(m.id);
      else {
        await writeManifestFile(this.fs, dir, target, m.source);
        restored.push(m.id);
      }
    }
    await this.reload();
    return { restored, unchanged };
  }

  /**
   * `archy update --to`: the manifest's image becomes `to`, the rest of the
   * file byte for byte as it was. A file whose image is no longer `from` (the
   * owner edited it meanwhile) is left alone. Idempotent.
   */
  async setImage(edit: {
    file: string;
    from: string;
    to: string;
  }): Promise<"written" | "unchanged" | "moved-on"> {
    const dir = this.writable();
    const { imageIn, setImageIn } = await import("./set-image.js");
    const text = await readFile(edit.file, "utf8").catch(() => null);
    const image = text === null ? null : imageIn(text);
    if (image === edit.to) return "unchanged";
    if (text === null || image !== edit.from) {
      this.log.warn(
        { file: edit.file, image, wanted: edit.to },
        `${edit.file} no longer names ${edit.from}: left as it is`,
      );
      return "moved-on";
    }
    await writeManifestFile(this.fs, dir, edit.file, setImageIn(text, edit.to));
    await this.reload();
    return "written";
  }

  /** Deletes an app's manifest file (with a fixed list: nothing to delete). */
  async remove(app: AppManifest): Promise<void> {
    if (this.dir) await removeManifestFile(this.fs, app.file);
    await this.reload();
  }

  private writable(): string {
    if (!this.dir) throw new TypeError("writing manifests needs a manifestsDir");
    return this.dir;
  }
}
