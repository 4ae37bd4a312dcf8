import { formatManifestError } from "@archy/reconciler/api";
import { hostname } from "node:os";
import { CliError, EXIT } from "../cli-error.js";
import type { Context } from "../context.js";
import { loadConfig } from "../notify/config.js";
import { deliver } from "../notify/deliver.js";

/**
 * `archy notify test`: one message to each target of the config file's
 * `notify:`, at once and side by side, and what each answered. Exit 1 when
 * one did not take it, 2 when the file is invalid or names no target.
 */
export async function test(ctx: Context): Promise<number> {
  const loaded = await loadConfig(ctx.configFile, ctx.configNamed);
  if (loaded.config === null) {
    for (const e of loaded.errors) ctx.out.error(formatManifestError(e));
    return EXIT.usage;
  }
  const config = loaded.config.notify;
  if (!config || config.targets.length === 0)
    throw new CliError(
      `${ctx.configFile} names no notify targets (notify: { targets: [...] })`,
      EXIT.usage,
    );
  const at = new Date().toISOString();
  const notice = {
    id: `test@${at}`,
    key: "test",
    app: null,
    problem: "test" as const,
    state: "info" as const,
    at,
    summary: `a test message from archy on ${hostname()}`,
  };
  const results = await Promise.all(
    config.targets.map(async (t) => ({
      target: t.name,
      kind: t.kind,
      ...(await deliver(t, notice, config.timeoutMs)),
    })),
  );
  if (ctx.json) ctx.out.document({ file: ctx.configFile, results });
  else
    ctx.out.table(
      ["TARGET", "KIND", "DELIVERED", "ANSWER"],
      results.map((r) => [r.target, r.kind, r.ok ? "yes" : "no", r.answer]),
    );
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
}
