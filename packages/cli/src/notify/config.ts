// archy's own config file (`--config FILE`, `ARCHY_CONFIG`; by default
// /etc/archy/archy.yaml as root, $XDG_CONFIG_HOME/archy/archy.yaml
// otherwise). Today it holds `notify:`, where the daemon's messages go.
// Checked as a manifest is: every problem at file:line:column (checkYaml).
import { readFile } from "node:fs/promises";
import { checkYaml, parseDuration, type ManifestError } from "@archy/reconciler";
import { z } from "zod";

const duration = z
  .string({ error: "expected a duration such as 30s, 5m or 1h" })
  .refine((s) => parseDuration(s) !== null, {
    error: "expected a duration such as 30s, 5m or 1h",
  });
const url = z
  .string({ error: "expected an http:// or https:// URL" })
  .refine((u) => /^https?:\/\/[^\s/]+/.test(u) && URL.canParse(u), {
    error: "expected an http:// or https:// URL",
  });
const name = z.string({ error: "expected a name" }).min(1, { error: "expected a name" }).optional();

const targetSchema = z.union(
  [
    z.strictObject({ webhook: url, secret: z.string().min(1).optional(), name }),
    z.strictObject({ ntfy: url, token: z.string().min(1).optional(), name }),
    z.strictObject({
      command: z
        .array(z.string(), { error: "expected a command as a list of words" })
        .min(1, { error: "expected a command as a list of words" }),
      name,
    }),
  ],
  { error: "expected one of webhook: URL, ntfy: URL or command: [words]" },
);

export const configSchema = z.strictObject({
  notify: z
    .strictObject({
      targets: z.array(targetSchema, { error: "expected a list of targets" }),
      settle: duration.optional(),
      rate_limit: z
        .number({ error: "expected a number of messages per minute" })
        .int({ error: "expected a whole number of messages per minute" })
        .min(1, { error: "expected at least 1 message per minute" })
        .optional(),
      timeout: duration.optional(),
    })
    .optional(),
});

/** Where a message goes. */
export type Target =
  | { kind: "webhook"; name: string; url: string; secret: string | null }
  | { kind: "ntfy"; name: string; url: string; token: string | null }
  | { kind: "command"; name: string; argv: string[] };

export interface NotifyConfig {
  targets: Target[];
  /** A problem is resolved once its cause stayed away this long; a return within it is the same incident. */
  settleMs: number;
  /** Messages per target per minute, at most. */
  ratePerMinute: number;
  /** One delivery's allowance. */
  timeoutMs: number;
}

export interface ArchyConfig {
  file: string;
  /** Null: the file has no `notify:` (or there is no file). */
  notify: NotifyConfig | null;
}

const hostOf = (u: string) => new URL(u).host;

function toConfig(file: string, raw: z.output<typeof configSchema>): ArchyConfig {
  const n = raw.notify;
  if (!n) return { file, notify: null };
  const targets = n.targets.map((t, i): Target => {
    if ("webhook" in t)
      return {
        kind: "webhook",
        name: t.name ?? `webhook ${hostOf(t.webhook)}`,
        url: t.webhook,
        secret: t.secret ?? null,
      };
    if ("ntfy" in t)
      return {
        kind: "ntfy",
        name: t.name ?? `ntfy ${hostOf(t.ntfy)}`,
        url: t.ntfy,
        token: t.token ?? null,
      };
    return {
      kind: "command",
      name: t.name ?? `command ${i + 1} (${t.command[0]})`,
      argv: t.command,
    };
  });
  return {
    file,
    notify: {
      targets,
      settleMs: n.settle ? parseDuration(n.settle)! : 60_000,
      ratePerMinute: n.rate_limit ?? 20,
      timeoutMs: n.timeout ? parseDuration(n.timeout)! : 10_000,
    },
  };
}

/**
 * Reads and checks the config file. A missing file is no config (unless it
 * was named: then ENOENT); an invalid one is every problem, as errors.
 */
export async function loadConfig(
  file: string,
  named: boolean,
): Promise<{ config: ArchyConfig; errors: [] } | { config: null; errors: ManifestError[] }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && !named)
      return { config: { file, notify: null }, errors: [] };
    throw error;
  }
  const checked = checkYaml(
    text,
    file,
    configSchema,
    'the file is empty: expected a map such as "notify:"',
  );
  if (checked.value === null) return { config: null, errors: checked.errors };
  const config = toConfig(file, checked.value);
  const names = config.notify?.targets.map((t) => t.name) ?? [];
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined)
    return {
      config: null,
      errors: [
        {
          file,
          line: 1,
          column: 1,
          path: "notify.targets",
          message: `two targets are named "${twice}": give each a name of its own`,
        },
      ],
    };
  return { config, errors: [] };
}
