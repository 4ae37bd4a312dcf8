import { readdir, readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { PortMapping, VolumeMount } from "@archy/runtime-podman";
import { isMap, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import { z } from "zod";
import { parseDuration } from "./duration.js";

/** `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`: also a valid container-name suffix and file name. */
export const APP_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export type HealthCheck = {
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
} & (
  | { kind: "cmd"; cmd: string[] }
  | { kind: "http"; port: number; path: string }
  | { kind: "tcp"; port: number }
);

export interface AppManifest {
  id: string;
  name: string;
  version: string;
  dependsOn: string[];
  container: {
    image: string;
    /** Absolute context folder; the image is built when absent. */
    build: { context: string; containerfile?: string } | null;
    pull: "missing" | "always" | "never";
    command?: string[];
    entrypoint?: string[];
    env: Record<string, string>;
    ports: PortMapping[];
    volumes: VolumeMount[];
    network: string;
    user?: string;
    capAdd: string[];
    capDrop: string[];
    readOnly: boolean;
    stopTimeoutMs: number;
    stopSignal?: string;
    healthcheck: HealthCheck | null;
  };
  restart: {
    policy: "always" | "on-failure" | "no";
    backoff: { initialMs: number; maxMs: number; resetMs: number };
  };
  hooks: { preStart: string[][] };
  /** Absolute paths. */
  configFiles: string[];
  /** The manifest file (absolute) and its folder. */
  file: string;
  dir: string;
  /** The file's text, kept for snapshots and resurrect. */
  source: string;
}

export interface ManifestError {
  file: string;
  line: number;
  column: number;
  /** Field path such as `app.container.ports[1]`; empty for file-level errors. */
  path: string;
  message: string;
  /** The app id, when the file got far enough to say it. */
  app?: string;
}

export function formatManifestError(e: ManifestError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.path ? `${e.path}: ` : ""}${e.message}`;
}

// ---- schema (snake_case, as written) -------------------------------------

const duration = z
  .string({ error: "expected a duration such as 500ms, 10s, 5m or 1h" })
  .refine((s) => parseDuration(s) !== null, {
    error: "expected a duration such as 500ms, 10s, 5m or 1h",
  });
/** A string that must not read as a flag, optionally matching a pattern; one error per value. */
const noFlag = (what: string, pattern?: RegExp) =>
  z.string({ error: `expected ${what}` }).superRefine((value, ctx) => {
    if (value === "")
      ctx.addIssue({ code: "custom", message: `expected ${what}, not an empty string` });
    else if (value.startsWith("-"))
      ctx.addIssue({ code: "custom", message: `must not start with '-' (expected ${what})` });
    else if (pattern && !pattern.test(value))
      ctx.addIssue({ code: "custom", message: `expected ${what}` });
  });
const argv = z
  .array(z.string({ error: "expected a string" }), { error: "expected a list of strings" })
  .min(1, { error: "expected at least one word" });
const port = z
  .number({ error: "expected a port number" })
  .int({ error: "expected a whole number" })
  .min(1, { error: "expected 1-65535" })
  .max(65535, { error: "expected 1-65535" });
const PORT_SPEC =
  /^(?:(\[[0-9a-fA-F:.]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/;
const VOLUME_SPEC = /^([^:]+):(\/[^:]*)(?::(ro|rw))?$/;
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const IMAGE = /^[a-zA-Z0-9][a-zA-Z0-9._\-/:@]*$/;
const NETWORK = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const healthcheckSchema = z
  .strictObject({
    cmd: argv.optional(),
    http: z
      .strictObject({
        port,
        path: z.string().startsWith("/", { error: "expected a path starting with /" }).default("/"),
      })
      .optional(),
    tcp: z.strictObject({ port }).optional(),
    interval: duration.optional(),
    timeout: duration.optional(),
    retries: z
      .number({ error: "expected a number" })
      .int()
      .min(1, { error: "expected at least 1" })
      .optional(),
    start_period: duration.optional(),
  })
  .refine((h) => [h.cmd, h.http, h.tcp].filter((x) => x !== undefined).length === 1, {
    error: "expected exactly one of cmd, http or tcp",
  });

const schema = z.strictObject(
  {
    app: z.strictObject(
      {
        id: z.string({ error: "expected an app id" }).regex(APP_ID, {
          error:
            "expected lower-case letters, digits and '-', 1-63 characters, starting and ending with a letter or digit",
        }),
        name: z
          .string({ error: "expected a display name" })
          .min(1, { error: "expected a display name" }),
        version: z.union([z.string(), z.number()], { error: "expected a version" }),
        depends_on: z
          .array(z.string({ error: "expected an app id" }), { error: "expected a list of app ids" })
          .optional(),
        container: z.strictObject(
          {
            image: noFlag("an image reference such as localhost/app:1.0", IMAGE),
            build: z
              .strictObject({
                context: noFlag("a folder"),
                containerfile: noFlag("a file name").optional(),
              })
              .optional(),
            pull: z
              .enum(["missing", "always", "never"], { error: "expected missing, always or never" })
              .optional(),
            command: argv.optional(),
            entrypoint: argv.optional(),
            env: z
              .record(
                z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
                  error: "expected an environment variable name",
                }),
                z.union([z.string(), z.number(), z.boolean()], {
                  error: "expected a string, number or boolean",
                }),
                { error: "expected a map of NAME: value" },
              )
              .optional(),
            ports: z
              .array(
                z
                  .string({ error: 'expected "[ip:]host:container[/tcp|udp]"' })
                  .regex(PORT_SPEC, { error: "expected [ip:]host:container[/tcp|udp]" }),
                { error: "expected a list" },
              )
              .optional(),
            volumes: z
              .array(
                z.string({ error: 'expected "source:/target[:ro]"' }).regex(VOLUME_SPEC, {
                  error: "expected name:/path or ./host/path:/path, optionally :ro",
                }),
                { error: "expected a list" },
              )
              .optional(),
            network: noFlag("bridge, host, none or a network name", NETWORK).optional(),
            user: noFlag("user[:group]").optional(),
            cap_add: z.array(noFlag("a capability")).optional(),
            cap_drop: z.array(noFlag("a capability")).optional(),
            read_only: z.boolean({ error: "expected true or false" }).optional(),
            stop_timeout: duration.optional(),
            stop_signal: noFlag("a signal such as SIGTERM").optional(),
            healthcheck: healthcheckSchema.optional(),
          },
          { error: "expected a map with at least image" },
        ),
        restart: z
          .strictObject({
            policy: z
              .enum(["always", "on-failure", "no"], { error: "expected always, on-failure or no" })
              .optional(),
            backoff: z
              .strictObject({
                initial: duration.optional(),
                max: duration.optional(),
                reset: duration.optional(),
              })
              .optional(),
          })
          .optional(),
        hooks: z
          .strictObject({
            pre_start: z.array(argv, { error: "expected a list of commands" }).optional(),
          })
          .optional(),
        config_files: z
          .array(noFlag("a file path"), { error: "expected a list of file paths" })
          .optional(),
      },
      { error: "expected a map with id, name, version and container" },
    ),
  },
  { error: 'expected a map with an "app:" key' },
);

type Raw = z.infer<typeof schema>;

/** Every key an object of the schema allows, for "did you mean". */
function allowedKeys(path: readonly (string | number)[]): string[] {
  const keysByPath: Record<string, string[]> = {
    "": ["app"],
    app: ["id", "name", "version", "depends_on", "container", "restart", "hooks", "config_files"],
    "app.container": [
      "image",
      "build",
      "pull",
      "command",
      "entrypoint",
      "env",
      "ports",
      "volumes",
      "network",
      "user",
      "cap_add",
      "cap_drop",
      "read_only",
      "stop_timeout",
      "stop_signal",
      "healthcheck",
    ],
    "app.container.build": ["context", "containerfile"],
    "app.container.healthcheck": [
      "cmd",
      "http",
      "tcp",
      "interval",
      "timeout",
      "retries",
      "start_period",
    ],
    "app.container.healthcheck.http": ["port", "path"],
    "app.container.healthcheck.tcp": ["port"],
    "app.restart": ["policy", "backoff"],
    "app.restart.backoff": ["initial", "max", "reset"],
    "app.hooks": ["pre_start"],
  };
  return keysByPath[path.filter((p) => typeof p === "string").join(".")] ?? [];
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

export function didYouMean(key: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  const k = key.toLowerCase().replace(/-/g, "_");
  for (const c of candidates) {
    const d = k === c ? 0 : editDistance(k, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out ? "." : ""}${String(p)}`;
  return out;
}

/** Where a path is in the YAML source; a missing node points at its parent's key. */
function locate(
  doc: Document,
  lc: LineCounter,
  path: readonly (string | number)[],
  key?: string,
): { line: number; column: number } {
  const pos = (offset: number) => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (key !== undefined) {
    const map = path.length ? doc.getIn(path, true) : doc.contents;
    if (isMap(map)) {
      const pair = map.items.find((it) => isScalar(it.key) && it.key.value === key);
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return pos(range[0]);
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const node = (n === 0 ? doc.contents : doc.getIn(sub, true)) as {
      range?: [number, number, number];
    } | null;
    if (!node?.range) continue;
    if (n < path.length && n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(sub.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === sub[n - 1]);
        const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
        if (range) return pos(range[0]);
      }
    }
    return pos(node.range[0]);
  }
  return { line: 1, column: 1 };
}

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

export interface ParseResult {
  app: AppManifest | null;
  errors: ManifestError[];
  /** The file as given, used to name it in errors. */
  file: string;
}

/**
 * Parses and validates one manifest. Never throws for the file's content:
 * every problem comes back as an error naming `file:line:column`, the field
 * path and what was expected.
 */
export function parseManifest(text: string, file: string): ParseResult {
  const absFile = resolve(file);
  const dir = resolve(absFile, "..");
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const errors: ManifestError[] = [];
  const idNode = doc.getIn(["app", "id"]);
  const appId = typeof idNode === "string" && APP_ID.test(idNode) ? idNode : undefined;
  const err = (path: readonly (string | number)[], message: string, key?: string) => {
    const at = locate(doc, lc, path, key);
    errors.push({
      file,
      ...at,
      path: formatPath(key !== undefined ? [...path, key] : path),
      message,
      ...(appId ? { app: appId } : {}),
    });
  };

  for (const e of doc.errors) {
    const p = e.linePos?.[0];
    errors.push({
      file,
      line: p?.line ?? 1,
      column: p?.col ?? 1,
      path: "",
      message: `invalid YAML: ${e.message.split("\n")[0]}`,
    });
  }
  if (errors.length) return { app: null, errors, file };

  const input: unknown = doc.toJS();
  const valueAt = (path: readonly (string | number)[]) =>
    path.reduce<unknown>(
      (v, k) =>
        typeof v === "object" && v !== null
          ? (v as Record<string | number, unknown>)[k]
          : undefined,
      input,
    );
  const result = schema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          const hint = didYouMean(key, allowedKeys(path));
          err(path, `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}`, key);
        }
      } else if (issue.code === "invalid_type" && valueAt(path) === undefined) {
        err(path, `required: ${issue.message.replace(/^Invalid input: /, "")}`);
      } else {
        err(path, issue.message.replace(/^Invalid input: /, ""));
      }
    }
    errors.sort((x, y) => x.line - y.line || x.column - y.column);
    return { app: null, errors, file };
  }
  const raw: Raw = result.data;
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
  if (errors.length) return { app: null, errors, file };

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
      ...(c.user ? { user: c.user } : {}),
      capAdd: c.cap_add ?? [],
      capDrop: c.cap_drop ?? [],
      readOnly: c.read_only ?? false,
      stopTimeoutMs: d(c.stop_timeout, 10_000),
      ...(c.stop_signal ? { stopSignal: c.stop_signal } : {}),
      healthcheck,
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
    file: absFile,
    dir,
    source: text,
  };
  return { app, errors: [], file };
}

export interface LoadResult {
  apps: AppManifest[];
  errors: ManifestError[];
  /** Ids declared by files that failed validation: their containers are not orphans. */
  invalidIds: string[];
}

/**
 * Loads every `*.yaml` / `*.yml` of a folder (sorted by name), then checks
 * across files: duplicate ids, unknown and cyclic `depends_on`. A bad file
 * never hides the good ones; an app whose dependency is invalid stays valid
 * (it will wait for it), one whose dependency does not exist anywhere does not.
 */
export async function loadManifests(dir: string, cache?: ManifestCache): Promise<LoadResult> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n) && !n.startsWith(".")).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { apps: [], errors: [], invalidIds: [] };
    throw error;
  }
  const parsed = await Promise.all(
    names.map(async (n) => {
      const file = join(dir, n);
      if (!cache) return parseManifest(await readFile(file, "utf8"), file);
      // A file whose inode, size and mtime are unchanged is not read or parsed again.
      const info = await stat(file);
      const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
      const hit = cache.get(file);
      if (hit && hit.key === key) return hit.result;
      const result = parseManifest(await readFile(file, "utf8"), file);
      cache.set(file, { key, result });
      return result;
    }),
  );
  if (cache)
    for (const file of cache.keys())
      if (!names.some((n) => join(dir, n) === file)) cache.delete(file);
  return checkAcrossFiles(parsed);
}

/** Parsed manifests by file, for `loadManifests(dir, cache)`; a long-running caller keeps one. */
export type ManifestCache = Map<string, { key: string; result: ParseResult }>;

/** Cross-file checks over already parsed manifests (also used for in-memory app lists). */
export function checkAcrossFiles(parsed: ParseResult[]): LoadResult {
  const errors: ManifestError[] = parsed.flatMap((p) => p.errors);
  const invalidIds = [
    ...new Set(parsed.flatMap((p) => p.errors.map((e) => e.app).filter((x): x is string => !!x))),
  ];
  const byId = new Map<string, AppManifest>();
  const labels = new Map<AppManifest, string>(
    parsed.flatMap((p) => (p.app ? [[p.app, p.file] as const] : [])),
  );
  const fileLabel = (app: AppManifest) => labels.get(app) ?? app.file;
  const reparse = (app: AppManifest) => {
    const lc = new LineCounter();
    return { doc: parseDocument(app.source, { lineCounter: lc }), lc };
  };
  const errAt = (app: AppManifest, path: (string | number)[], message: string) => {
    const { doc, lc } = reparse(app);
    errors.push({
      file: fileLabel(app),
      ...locate(doc, lc, path),
      path: formatPath(path),
      message,
      app: app.id,
    });
  };
  const valid: AppManifest[] = [];
  for (const p of parsed) {
    if (!p.app) continue;
    const first = byId.get(p.app.id);
    if (first) {
      errAt(
        p.app,
        ["app", "id"],
        `duplicate app id "${p.app.id}" (already declared in ${fileLabel(first)})`,
      );
      continue;
    }
    byId.set(p.app.id, p.app);
    valid.push(p.app);
  }
  const known = new Set([...byId.keys(), ...invalidIds]);
  const dropped = new Set<string>();
  for (const app of valid) {
    app.dependsOn.forEach((dep, i) => {
      if (!known.has(dep)) {
        errAt(
          app,
          ["app", "depends_on", i],
          `unknown app "${dep}"${didYouMean(dep, [...known]) ? ` (did you mean "${didYouMean(dep, [...known])}"?)` : ""}`,
        );
        dropped.add(app.id);
      }
    });
  }
  // Cycles: every app on one is an error.
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string) => {
    if (state.get(id) === "done") return;
    if (state.get(id) === "visiting") {
      const cycle = stack.slice(stack.indexOf(id));
      for (const member of cycle) {
        if (dropped.has(member)) continue;
        const app = byId.get(member)!;
        const next = cycle[(cycle.indexOf(member) + 1) % cycle.length]!;
        errAt(
          app,
          ["app", "depends_on", app.dependsOn.indexOf(next)],
          `dependency cycle: ${[...cycle, id].join(" -> ")}`,
        );
        dropped.add(member);
      }
      return;
    }
    state.set(id, "visiting");
    stack.push(id);
    for (const dep of byId.get(id)?.dependsOn ?? []) if (byId.has(dep)) visit(dep);
    stack.pop();
    state.set(id, "done");
  };
  for (const id of byId.keys()) visit(id);
  return {
    apps: valid.filter((a) => !dropped.has(a.id)),
    errors,
    invalidIds: [...new Set([...invalidIds, ...dropped])],
  };
}
