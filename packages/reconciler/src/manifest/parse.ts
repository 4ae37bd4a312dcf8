// One manifest file's text into an `AppManifest` or positioned errors: the
// YAML library and the schema. load.ts imports this module only when a file
// is not in the cache.
import { isAbsolute, join, resolve } from "node:path";
import type { PortMapping } from "@archy/runtime-podman";
import { toResources } from "./resources.js";
import { parseDuration } from "./duration.js";
import { APP_ID, type AppManifest, type HealthCheck } from "./app.js";
import type { ParseResult } from "./cross-check.js";
import { MAX_ERRORS_PER_FILE, MAX_MANIFEST_BYTES, tooLarge, type TextProblem } from "./limits.js";
import { locate } from "./locate.js";
import { formatPath, type ManifestError } from "./positions.js";
import {
  allowedKeys,
  manifestSchema,
  PORT_SPEC,
  VOLUME_NAME,
  VOLUME_SPEC,
  type RawManifest,
} from "./schema.js";
import { readYaml } from "./yaml-doc.js";
import { reportIssues } from "./yaml-schema.js";
import { parseWindow, type UpdateWindow } from "./window.js";

const parsePort = (spec: string): PortMapping => {
  const m = PORT_SPEC.exec(spec)!;
  const hostIp = m[1]?.replace(/^\[|\]$/g, "");
  return {
    ...(hostIp ? { hostIp } : {}),
    hostPort: Number(m[2]),
    containerPort: Number(m[3]),
    protocol: m[4] === "udp" ? "udp" : "tcp",
  };
};

const isHostPath = (source: string) => /^(\/|\.\/|\.\.\/|~\/|\.$|\.\.$)/.test(source);

/**
 * Parses and validates one manifest. Never throws for the file's content:
 * every problem comes back as an error naming `file:line:column`, the field
 * path and what was expected.
 */
export function parseManifest(text: string, file: string): ParseResult {
  try {
    return parseText(text, file);
  } catch (error) {
    // A defect of a library or of this module for one odd file: that file's error, never the folder's.
    const message = (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
    return {
      app: null,
      errors: [{ file, line: 1, column: 1, path: "", message: `cannot load: ${message}` }],
      file,
    };
  }
}

/** A file's problems before any field is read (size, encoding, YAML), as errors. */
const fileErrors = (file: string, problems: TextProblem[]): ParseResult => ({
  app: null,
  errors: capped(problems.map((p) => ({ file, ...p, path: "" }))),
  file,
});

/** At most MAX_ERRORS_PER_FILE errors, in file order, the rest counted in one more. */
function capped(errors: ManifestError[], omitted = 0): ManifestError[] {
  errors.sort((x, y) => x.line - y.line || x.column - y.column);
  const more = omitted + Math.max(0, errors.length - MAX_ERRORS_PER_FILE);
  if (more === 0) return errors;
  const shown = errors.slice(0, MAX_ERRORS_PER_FILE);
  const last = shown[shown.length - 1]!;
  return [
    ...shown,
    { ...last, path: "", message: `and ${more} more problem${more === 1 ? "" : "s"} in this file` },
  ];
}

function parseText(original: string, file: string): ParseResult {
  const bytes = Buffer.byteLength(original);
  if (bytes > MAX_MANIFEST_BYTES) return fileErrors(file, [tooLarge(bytes)]);
  // A byte-order mark is not part of the YAML (nor of its columns).
  const text = original.startsWith("\uFEFF") ? original.slice(1) : original;
  const absFile = resolve(file);
  const dir = resolve(absFile, "..");
  const yaml = readYaml(text);
  if ("problems" in yaml) return fileErrors(file, yaml.problems);
  const { doc, lc, input } = yaml;
  const errors: ManifestError[] = [];
  let omitted = 0;
  const idNode = doc.getIn(["app", "id"]);
  const appId = typeof idNode === "string" && APP_ID.test(idNode) ? idNode : undefined;
  const err = (path: readonly (string | number)[], message: string, key?: string) => {
    // Locating an error walks its maps: only the first ones are, so a file
    // with 100,000 bad keys costs as much as one with 50.
    if (errors.length >= MAX_ERRORS_PER_FILE) {
      omitted++;
      return;
    }
    const at = locate(doc, lc, path, key);
    errors.push({
      file,
      ...at,
      path: formatPath(key !== undefined ? [...path, key] : path),
      message,
      ...(appId ? { app: appId } : {}),
    });
  };

  const result = manifestSchema.safeParse(input);
  if (!result.success) {
    reportIssues(result.error.issues, input, allowedKeys, err);
    return { app: null, errors: capped(errors, omitted), file };
  }
  const raw: RawManifest = result.data;
  const a = raw.app;
  const c = a.container;

  // Checks across fields, with positions.
  if (c.build && c.pull !== undefined && c.pull !== "never")
    err(
      ["app", "container", "pull"],
      "expected never (or no pull) when build is given: the image is built locally",
    );
  (c.volumes ?? []).forEach((v, i) => {
    const source = VOLUME_SPEC.exec(v)![1]!;
    if (!isHostPath(source) && !VOLUME_NAME.test(source))
      err(
        ["app", "container", "volumes", i],
        "expected a volume name (letters, digits, '_', '.', '-') or a host path starting with / or ./",
      );
  });
  (c.ports ?? []).forEach((p, i) => {
    const m = parsePort(p);
    if (m.hostPort > 65535 || m.containerPort > 65535 || m.hostPort < 1 || m.containerPort < 1)
      err(["app", "container", "ports", i], "expected ports 1-65535");
  });
  (a.depends_on ?? []).forEach((d, i) => {
    if (d === a.id) err(["app", "depends_on", i], "an app cannot depend on itself");
    else if (!APP_ID.test(d)) err(["app", "depends_on", i], "expected an app id");
  });
  const version =
    typeof a.version === "number"
      ? (() => {
          const node = doc.getIn(["app", "version"], true) as { range?: [number, number, number] };
          return node.range ? text.slice(node.range[0], node.range[1]).trim() : String(a.version);
        })()
      : a.version;
  if (errors.length) return { app: null, errors: capped(errors, omitted), file };

  const d = (s: string | undefined, fallback: number) =>
    s === undefined ? fallback : parseDuration(s)!;
  const h = c.healthcheck;
  const timing = h
    ? {
        intervalMs: d(h.interval, 30_000),
        timeoutMs: d(h.timeout, 5_000),
        retries: h.retries ?? 3,
        startPeriodMs: d(h.start_period, 0),
      }
    : null;
  const healthcheck: HealthCheck | null =
    h && timing
      ? h.cmd
        ? { kind: "cmd", cmd: h.cmd, ...timing }
        : h.http
          ? { kind: "http", port: h.http.port, path: h.http.path, ...timing }
          : { kind: "tcp", port: h.tcp!.port, ...timing }
      : null;
  const app: AppManifest = {
    id: a.id,
    name: a.name,
    version,
    dependsOn: [...new Set(a.depends_on ?? [])],
    container: {
      image: c.image,
      build: c.build
        ? {
            context: resolve(dir, c.build.context),
            ...(c.build.containerfile ? { containerfile: c.build.containerfile } : {}),
          }
        : null,
      pull: c.build ? "never" : (c.pull ?? "missing"),
      ...(c.command ? { command: c.command } : {}),
      ...(c.entrypoint ? { entrypoint: c.entrypoint } : {}),
      env: Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, String(v)])),
      ports: (c.ports ?? []).map(parsePort),
      volumes: (c.volumes ?? []).map((v) => {
        const [, source, target, mode] = VOLUME_SPEC.exec(v)!;
        const src = isHostPath(source!)
          ? source!.startsWith("~/")
            ? join(process.env.HOME ?? "/", source!.slice(2))
            : resolve(dir, source!)
          : source!;
        return { source: src, target: target!, ...(mode === "ro" ? { readOnly: true } : {}) };
      }),
      network: c.network ?? "bridge",
      networkAliases: c.network_aliases ?? [],
      ...(c.user ? { user: c.user } : {}),
      capAdd: c.cap_add ?? [],
      capDrop: c.cap_drop ?? [],
      readOnly: c.read_only ?? false,
      stopTimeoutMs: d(c.stop_timeout, 10_000),
      ...(c.stop_signal ? { stopSignal: c.stop_signal } : {}),
      healthcheck,
      resources: toResources(c.resources),
    },
    restart: {
      policy: a.restart?.policy ?? "always",
      backoff: {
        initialMs: d(a.restart?.backoff?.initial, 1_000),
        maxMs: d(a.restart?.backoff?.max, 60_000),
        resetMs: d(a.restart?.backoff?.reset, 60_000),
      },
    },
    hooks: { preStart: a.hooks?.pre_start ?? [] },
    configFiles: (a.config_files ?? []).map((f) => (isAbsolute(f) ? f : resolve(dir, f))),
    update: {
      policy: a.update?.policy ?? "manual",
      gateMs: d(a.update?.gate, 30_000),
      timeoutMs: d(a.update?.timeout, 300_000),
      window: a.update?.window ? (parseWindow(a.update.window) as UpdateWindow) : null,
    },
    file: absFile,
    dir,
    source: text,
  };
  return { app, errors: [], file };
}
