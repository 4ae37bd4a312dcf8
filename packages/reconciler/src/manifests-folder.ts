import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { ManifestInvalidError, UnknownAppError } from "./errors.js";
import {
  checkAcrossFiles,
  loadManifests,
  parseManifest,
  type AppManifest,
  type ManifestCache,
  type ManifestError,
} from "./manifest.js";
import { dependencyOrder } from "./planner.js";
import type { Logger } from "./types.js";

/**
 * The apps archy manages: the manifests folder (re-read on every pass, parsed
 * files cached by inode/size/mtime) or a fixed list, valid apps in dependency
 * order; and the writes to that folder (install, resurrect, remove), atomic.
 */
export class ManifestsFolder {
  private apps: AppManifest[] = [];
  private invalid: string[] = [];
  private errors: ManifestError[] = [];
  private loaded = false;
  private readonly cache: ManifestCache = new Map();

  constructor(
    readonly dir: string | undefined,
    private readonly fixed: AppManifest[] | undefined,
    private readonly log: Logger,
  ) {}

  /** Re-reads the folder (or the fixed list). */
  async reload(): Promise<{ apps: AppManifest[]; errors: ManifestError[] }> {
    const result = this.fixed
      ? checkAcrossFiles(this.fixed.map((app) => ({ app, errors: [], file: app.file })))
      : await loadManifests(this.dir!, this.cache);
    const order = dependencyOrder(result.apps);
    this.apps = result.apps.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    this.invalid = result.invalidIds;
    this.errors = result.errors;
    this.loaded = true;
    for (const e of this.errors)
      this.log.warn({ file: e.file, line: e.line, column: e.column, path: e.path }, e.message);
    return { apps: this.apps, errors: this.errors };
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
    await this.write(id, target, text);
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
        await this.write(m.id, target, m.source);
        restored.push(m.id);
      }
    }
    await this.reload();
    return { restored, unchanged };
  }

  /** Deletes an app's manifest file (with a fixed list: nothing to delete). */
  async remove(app: AppManifest): Promise<void> {
    if (this.dir)
      await unlink(app.file).catch((e: NodeJS.ErrnoException) =>
        e.code === "ENOENT" ? undefined : Promise.reject(e),
      );
    await this.reload();
  }

  private writable(): string {
    if (!this.dir) throw new TypeError("writing manifests needs a manifestsDir");
    return this.dir;
  }

  private async write(id: string, target: string, text: string): Promise<void> {
    const dir = this.writable();
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${id}.${randomBytes(4).toString("hex")}.tmp`);
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, target);
  }
}
