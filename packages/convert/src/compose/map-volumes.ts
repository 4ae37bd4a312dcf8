// `volumes:` of a service in both syntaxes into archy's `source:/target[:ro]`.
// A named volume becomes the name compose gives it (`<project>_<name>`, or
// the top-level `name:`, or the name of an `external` one), so data created
// by docker/podman compose is reused; a bind mount becomes an absolute host
// path (resolved against the compose file's folder), so the manifest works
// wherever it is written.
import { isAbsolute, join, resolve } from "node:path";
import { isDict, warnOtherKeys, type MapContext } from "./context.js";
import type { ComposePath } from "./positions.js";
import { asBoolean, asText } from "./values.js";

const isHostPath = (s: string) => /^(\/|\.|~)/.test(s) || isAbsolute(s);

/** The podman name of the top-level volume `key` (undeclared: null). */
export function volumeName(ctx: MapContext, key: string): string | null {
  const volumes = isDict(ctx.data.volumes) ? ctx.data.volumes : {};
  if (!Object.hasOwn(volumes, key)) return null;
  const def = volumes[key];
  const name = isDict(def) ? asText(def.name) : undefined;
  if (name) return name;
  if (isDict(def) && (asBoolean(def.external) || isDict(def.external))) return key;
  return `${ctx.project}_${key}`;
}

/** Warns about the top-level `volumes:` options archy's volumes do not have. */
export function warnVolumeDefinitions(ctx: MapContext): void {
  if (!isDict(ctx.data.volumes)) return;
  for (const [key, def] of Object.entries(ctx.data.volumes)) {
    if (!isDict(def)) continue;
    const path = ["volumes", key];
    warnOtherKeys(ctx, path, def, ["name", "external", "driver"]);
    if (def.driver !== undefined && def.driver !== "local")
      ctx.warn(
        [...path, "driver"],
        `archy creates volumes with podman's local driver, not "${String(def.driver)}"`,
      );
  }
}

function hostPath(ctx: MapContext, source: string): string {
  if (source === "~" || source.startsWith("~/")) {
    const home = ctx.lookup("HOME") ?? "/root";
    return join(home, source.slice(1));
  }
  return resolve(ctx.dir, source);
}

interface Mount {
  source?: string;
  target: string;
  readOnly: boolean;
  kind: "bind" | "volume" | "other";
  /** Compose makes a missing host folder: always for the short syntax, on `bind.create_host_path` for the long one. */
  createHostPath?: boolean;
}

function parseShort(ctx: MapContext, at: ComposePath, spec: string): Mount | null {
  // source:target[:options] — options are comma separated (ro, rw, z, Z, …).
  const parts = spec.split(":");
  if (parts.length === 1) return { target: spec, readOnly: false, kind: "volume" };
  const [source, target, options, ...extra] = parts;
  if (extra.length > 0 || !source || !target) return null;
  let readOnly = false;
  for (const o of (options ?? "").split(",").filter(Boolean)) {
    if (o === "ro") readOnly = true;
    else if (o !== "rw")
      ctx.warn(
        at,
        `archy cannot express the volume option "${o}" (SELinux relabelling, propagation and copy options are not passed); it is left out`,
        "value",
      );
  }
  const bind = isHostPath(source);
  return { source, target, readOnly, kind: bind ? "bind" : "volume", createHostPath: bind };
}

function parseLong(ctx: MapContext, at: ComposePath, v: Record<string, unknown>): Mount | null {
  warnOtherKeys(ctx, at, v, ["type", "source", "target", "read_only", "bind"]);
  const bind = isDict(v.bind) ? v.bind : {};
  warnOtherKeys(ctx, [...at, "bind"], bind, ["create_host_path"]);
  const type = asText(v.type);
  const target = asText(v.target);
  if (!target) return null;
  const source = asText(v.source);
  return {
    ...(source ? { source } : {}),
    target,
    readOnly: asBoolean(v.read_only) ?? false,
    kind: type === "bind" ? "bind" : type === "volume" ? "volume" : "other",
    createHostPath: asBoolean(bind.create_host_path) ?? false,
  };
}

/**
 * The service's volumes in archy's form. The host folders compose would
 * create when missing are added to `createDirs`.
 */
export function mapVolumes(
  ctx: MapContext,
  path: ComposePath,
  value: unknown,
  createDirs: string[] = [],
): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  value.forEach((item, i) => {
    const at = [...path, i];
    const text = asText(item);
    const m =
      text !== undefined
        ? parseShort(ctx, at, text)
        : isDict(item)
          ? parseLong(ctx, at, item)
          : null;
    if (!m) {
      ctx.invalid(at, 'expected "source:/target[:ro]" or { type, source, target }');
      return;
    }
    if (m.kind === "other") {
      ctx.warn(
        at,
        `archy cannot express a ${String((item as Record<string, unknown>).type)} mount; it is left out`,
        "value",
      );
      return;
    }
    if (!m.target.startsWith("/") || m.target.includes(":")) {
      ctx.invalid(at, `expected an absolute container path, not "${m.target}"`);
      return;
    }
    if (!m.source) {
      ctx.warn(
        at,
        `the anonymous volume at ${m.target} cannot be expressed by archy (a volume needs a name or a host path); it is left out`,
        "value",
      );
      return;
    }
    let source: string;
    if (m.kind === "bind") {
      source = hostPath(ctx, m.source);
      if (m.createHostPath) createDirs.push(source);
    } else {
      const name = volumeName(ctx, m.source);
      if (name === null) {
        ctx.invalid(
          at,
          `refers to the volume "${m.source}", which the top-level volumes: does not declare`,
          "value",
        );
        return;
      }
      source = name;
    }
    if (source.includes(":")) {
      ctx.unsupported(at, `archy cannot mount a host path containing ":" (${source})`, "value");
      return;
    }
    out.push(`${source}:${m.target}${m.readOnly ? ":ro" : ""}`);
  });
  return out;
}

/**
 * A pre-start hook making the missing host folders of bind mounts, as compose
 * does (podman refuses a bind mount whose source does not exist): a path that
 * exists, file or folder, is left alone.
 */
export function createDirsHook(dirs: readonly string[]): string[] | undefined {
  if (dirs.length === 0) return undefined;
  return [
    "/bin/sh",
    "-c",
    'for p in "$@"; do [ -e "$p" ] || mkdir -p -- "$p" || exit 1; done',
    "archy-bind-folders",
    ...new Set(dirs),
  ];
}
