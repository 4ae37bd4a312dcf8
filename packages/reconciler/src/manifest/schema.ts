// The manifest as written (snake_case YAML, checked by a zod schema); what it
// becomes is `AppManifest` (app.ts).
import { z } from "zod";
import { parseDuration } from "./duration.js";
import { APP_ID } from "./app.js";
import { parseWindow } from "./window.js";
import { resourcesSchema } from "./resources.js";

// ---- schema (snake_case, as written) -------------------------------------

/**
 * The longest duration a manifest may give: a day. Timers hold at most
 * 2^31-1 ms (24.8 days) and fire at once beyond it, so a `max: 1000h`
 * back-off or health-check interval would turn into a busy loop.
 */
export const MAX_DURATION_MS = 24 * 3_600_000;
const duration = z
  .string({ error: "expected a duration such as 500ms, 10s, 5m or 1h" })
  .superRefine((s, ctx) => {
    const ms = parseDuration(s);
    if (ms === null)
      ctx.addIssue({ code: "custom", message: "expected a duration such as 500ms, 10s, 5m or 1h" });
    else if (ms > MAX_DURATION_MS)
      ctx.addIssue({ code: "custom", message: "expected a duration of at most 24h" });
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
/** `[ip:]host:container[/tcp|udp]`; groups: ip (maybe bracketed), host, container, protocol. */
export const PORT_SPEC =
  /^(?:(\[[0-9a-fA-F:.]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/;
/** `source:/target[:ro|rw]`; groups: source, target, mode. */
export const VOLUME_SPEC = /^([^:]+):(\/[^:]*)(?::(ro|rw))?$/;
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** What an image reference may be written with (podman reads it; a flag is refused). */
export const IMAGE = /^[a-zA-Z0-9][a-zA-Z0-9._\-/:@]*$/;
const NETWORK = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Labels of letters, digits and `-` (not at either end), joined by dots. */
const DNS_NAME =
  /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
/** Network modes that are not a network of their own: no DNS, so no aliases. */
const BUILTIN_NETWORKS = new Set(["bridge", "host", "none", "private", "slirp4netns", "pasta"]);

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

export const manifestSchema = z.strictObject(
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
        container: z
          .strictObject(
            {
              image: noFlag("an image reference such as localhost/app:1.0", IMAGE),
              build: z
                .strictObject({
                  context: noFlag("a folder"),
                  containerfile: noFlag("a file name").optional(),
                })
                .optional(),
              pull: z
                .enum(["missing", "always", "never"], {
                  error: "expected missing, always or never",
                })
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
              network_aliases: z
                .array(noFlag("a DNS name", DNS_NAME), { error: "expected a list of DNS names" })
                .optional(),
              user: noFlag("user[:group]").optional(),
              cap_add: z.array(noFlag("a capability")).optional(),
              cap_drop: z.array(noFlag("a capability")).optional(),
              read_only: z.boolean({ error: "expected true or false" }).optional(),
              stop_timeout: duration.optional(),
              stop_signal: noFlag("a signal such as SIGTERM").optional(),
              healthcheck: healthcheckSchema.optional(),
              resources: resourcesSchema.optional(),
            },
            { error: "expected a map with at least image" },
          )
          .superRefine((c, ctx) => {
            if (c.network_aliases?.length && BUILTIN_NETWORKS.has(c.network ?? "bridge"))
              ctx.addIssue({
                code: "custom",
                path: ["network_aliases"],
                message:
                  "network aliases need a named network (network: <name>), not bridge, host or none",
              });
          }),
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
        update: z
          .strictObject({
            policy: z
              .enum(["manual", "notify", "auto"], { error: "expected manual, notify or auto" })
              .optional(),
            gate: duration.optional(),
            timeout: duration.optional(),
            window: z
              .string({ error: 'expected a window such as "Sun 03:00-05:00"' })
              .superRefine((w, ctx) => {
                const parsed = parseWindow(w);
                if ("error" in parsed) ctx.addIssue({ code: "custom", message: parsed.error });
              })
              .optional(),
          })
          .superRefine((u, ctx) => {
            const gate = parseDuration(u.gate ?? "30s");
            const timeout = parseDuration(u.timeout ?? "5m");
            if (gate !== null && timeout !== null && gate >= timeout)
              ctx.addIssue({
                code: "custom",
                path: [u.gate !== undefined ? "gate" : "timeout"],
                message: `the gate (${u.gate ?? "30s"}) must be shorter than the timeout (${u.timeout ?? "5m"})`,
              });
          })
          .optional(),
      },
      { error: "expected a map with id, name, version and container" },
    ),
  },
  { error: 'expected a map with an "app:" key' },
);

/** A manifest as written, after validation. */
export type RawManifest = z.infer<typeof manifestSchema>;

// ---- allowed keys, read from the schema ----------------------------------

/** The schema under its optional/default/nullable/readonly/catch wrappers and pipes' input side. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  for (;;) {
    const def = s._zod.def;
    if ("innerType" in def) s = def.innerType as z.core.$ZodType;
    else if (s instanceof z.core.$ZodPipe) s = s._zod.def.in;
    else return s;
  }
}

/**
 * The keys the object at `path` of `schema` allows, in schema order: a string
 * step enters an object's field (or a record's value), a number step an
 * array's element. Empty when `path` does not lead to an object.
 */
export function keysAt(schema: z.core.$ZodType, path: readonly (string | number)[]): string[] {
  let s: z.core.$ZodType | undefined = unwrap(schema);
  for (const step of path) {
    if (typeof step === "string" && s instanceof z.core.$ZodObject)
      s = Object.hasOwn(s._zod.def.shape, step) ? s._zod.def.shape[step] : undefined;
    else if (typeof step === "string" && s instanceof z.core.$ZodRecord) s = s._zod.def.valueType;
    else if (typeof step === "number" && s instanceof z.core.$ZodArray) s = s._zod.def.element;
    else return [];
    if (!s) return [];
    s = unwrap(s);
  }
  return s instanceof z.core.$ZodObject ? Object.keys(s._zod.def.shape) : [];
}

/** Every key the manifest allows at `path`, for "unknown key" errors and "did you mean". */
export function allowedKeys(path: readonly (string | number)[]): string[] {
  return keysAt(manifestSchema, path);
}
