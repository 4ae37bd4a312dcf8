// `env_file:` and `environment:` into archy's `env`, in compose's order of
// precedence: the env files in order (a later one wins), then `environment:`
// (list "K=V" or map K: V) over them. `K` alone (or `K:` with no value)
// takes K from the interpolation's variables, as compose does.
import { resolve } from "node:path";
import { isDict, type MapContext } from "./context.js";
import { readEnvFile } from "./env-files.js";
import type { ComposePath, Located } from "./positions.js";
import { asBoolean, asText } from "./values.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface EnvFileRef {
  path: string;
  required: boolean;
  at: ComposePath;
}

function envFileRefs(path: ComposePath, value: unknown): EnvFileRef[] {
  if (typeof value === "string") return [{ path: value, required: true, at: path }];
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, i): EnvFileRef[] => {
    const at = [...path, i];
    if (typeof item === "string") return [{ path: item, required: true, at }];
    if (isDict(item) && typeof item.path === "string")
      return [{ path: item.path, required: asBoolean(item.required) ?? true, at }];
    return [];
  });
}

/** The service's environment; env files are read relative to the compose folder. */
export async function mapEnv(
  ctx: MapContext,
  path: ComposePath,
  service: Record<string, unknown>,
  fileWarnings: Located[],
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const names = new Map<string, ComposePath>();
  for (const ref of envFileRefs([...path, "env_file"], service.env_file)) {
    if (isDict(ctx.data.services) && Array.isArray(service.env_file)) {
      const item = service.env_file[ref.at.at(-1) as number];
      if (isDict(item) && item.format !== undefined)
        ctx.warn([...ref.at, "format"], `archy reads env files in the dotenv format only`);
    }
    const file = resolve(ctx.dir, ref.path);
    const read = await readEnvFile(file, ctx.lookup);
    if (read === null) {
      if (ref.required) ctx.invalid(ref.at, `the env file ${file} does not exist`, "value");
      continue;
    }
    fileWarnings.push(...read.warnings);
    for (const [k, v] of Object.entries(read.values)) {
      env[k] = v;
      names.set(k, ref.at);
    }
  }
  const environment = service.environment;
  const entries: [string, unknown, ComposePath][] = Array.isArray(environment)
    ? environment.map((item, i) => {
        const text = asText(item) ?? "";
        const eq = text.indexOf("=");
        return eq < 0
          ? [text, null, [...path, "environment", i]]
          : [text.slice(0, eq), text.slice(eq + 1), [...path, "environment", i]];
      })
    : isDict(environment)
      ? Object.entries(environment).map(([k, v]) => [k, v, [...path, "environment", k]])
      : [];
  for (const [name, value, at] of entries) {
    if (value === null || value === undefined) {
      const fromHost = ctx.lookup(name);
      if (fromHost === undefined) {
        ctx.warn(
          at,
          `${name} takes its value from the environment, where it is not set; it is left out`,
        );
        delete env[name];
        continue;
      }
      env[name] = fromHost;
    } else env[name] = asText(value) ?? JSON.stringify(value);
    names.set(name, at);
  }
  for (const name of Object.keys(env))
    if (!ENV_NAME.test(name)) {
      ctx.warn(
        names.get(name) ?? path,
        `archy takes environment names of letters, digits and "_" only: "${name}" is left out`,
      );
      delete env[name];
    }
  return env;
}
