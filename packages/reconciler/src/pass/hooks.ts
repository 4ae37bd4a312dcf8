import { execFile } from "node:child_process";
import { ReconcilerError } from "../errors.js";
import type { AppManifest } from "../manifest/index.js";
import { redactText } from "../manifest/spec.js";

export class HookError extends ReconcilerError {
  static override readonly marker = "archy.reconciler.error.HookError";
  override readonly name = "HookError";
  declare readonly code: "EHOOK";
  readonly command: string[];
  readonly exitCode: number | null;
  constructor(
    app: string,
    command: string[],
    exitCode: number | null,
    detail: string,
    cause?: unknown,
  ) {
    super("EHOOK", `pre-start hook ${JSON.stringify(command)} of ${app} failed: ${detail}`, {
      app,
      cause,
    });
    this.command = command;
    this.exitCode = exitCode;
  }
}

const HOST_ONLY = new Set(["PATH", "HOME", "SHELL", "USER", "PWD"]);

/**
 * Runs an app's pre-start hooks one after the other on the host: argument
 * arrays (no shell), cwd = the manifest's folder, a timeout each. They see
 * the app's env (except host variables like PATH) and ARCHY_APP_ID /
 * ARCHY_MANIFEST_DIR. The first failure throws HookError, secrets redacted.
 */
export async function runPreStartHooks(app: AppManifest, timeoutMs: number): Promise<void> {
  const appEnv = Object.fromEntries(
    Object.entries(app.container.env).filter(([k]) => !HOST_ONLY.has(k)),
  );
  for (const command of app.hooks.preStart) {
    const [file, ...args] = command;
    await new Promise<void>((resolve, reject) => {
      execFile(
        file!,
        args,
        {
          cwd: app.dir,
          timeout: timeoutMs,
          killSignal: "SIGKILL",
          maxBuffer: 1024 * 1024,
          env: { ...process.env, ...appEnv, ARCHY_APP_ID: app.id, ARCHY_MANIFEST_DIR: app.dir },
        },
        (error, _stdout, stderr) => {
          if (!error) return resolve();
          const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
          const detail = e.killed
            ? `timed out after ${timeoutMs} ms`
            : typeof e.code === "string"
              ? `${e.code} (${e.message})`
              : `exit ${e.code}${stderr.trim() ? `: ${stderr.trim().split("\n").slice(-3).join(" | ")}` : ""}`;
          reject(
            new HookError(
              app.id,
              command,
              typeof e.code === "number" ? e.code : null,
              redactText(detail, app.container.env),
              error,
            ),
          );
        },
      );
    });
  }
}
