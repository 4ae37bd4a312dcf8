// The project's name (compose's rules) and each service's app id.
import { basename } from "node:path";
import { APP_ID } from "@archy/reconciler";

/**
 * A project name normalised as compose does: lower case, only letters,
 * digits, "-" and "_", starting with a letter or digit. Empty if nothing is left.
 */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "")
    .replace(/^[-_]+/, "");
}

/**
 * The project: the option, else COMPOSE_PROJECT_NAME (environment or .env),
 * else the file's top-level `name:`, else the compose folder's name.
 */
export function projectName(opts: {
  project?: string;
  fromEnv?: string;
  fromFile?: string;
  dir: string;
}): string {
  const candidates = [opts.project, opts.fromEnv, opts.fromFile, basename(opts.dir)];
  for (const c of candidates) if (c !== undefined && c !== "") return normalizeProjectName(c);
  return "";
}

/**
 * `<project>-<service>` made an archy app id: lower case, every character
 * other than a-z, 0-9 and "-" becomes "-", runs of "-" fold into one and
 * none is left at either end. Null when the result is still no app id
 * (longer than 63 characters, or empty).
 */
export function appIdOf(project: string, service: string): string | null {
  const id = `${project}-${service}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  return APP_ID.test(id) ? id : null;
}
