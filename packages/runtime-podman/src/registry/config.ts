// podman's own registry configuration, read the way podman reads it:
// registries.conf (which registries are insecure or blocked, where
// unqualified names go) and the auth file `podman login` writes. What this
// reads, and what it does not: see the package README ("Registries").
import { readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";

export interface RegistryEntry {
  /** What it applies to: a host, or a host and a path prefix. */
  prefix: string;
  insecure: boolean;
  blocked: boolean;
}

export interface RegistriesConf {
  registries: RegistryEntry[];
  unqualifiedSearch: string[];
  /** The files read, in order. */
  files: string[];
}

type Env = Record<string, string | undefined>;

/**
 * registries.conf: `CONTAINERS_REGISTRIES_CONF` alone when set; otherwise
 * the user's `~/.config/containers/registries.conf` when it exists (not for
 * root), else `/etc/containers/registries.conf`, then the drop-ins of
 * `registries.conf.d` beside it, in name order. A missing file is empty; one
 * that is not TOML is an error naming it.
 */
export async function readRegistriesConf(env: Env = process.env): Promise<RegistriesConf> {
  const files: string[] = [];
  if (env.CONTAINERS_REGISTRIES_CONF) files.push(env.CONTAINERS_REGISTRIES_CONF);
  else {
    const user = join(env.HOME ?? homedir(), ".config/containers/registries.conf");
    const isRoot = process.getuid?.() === 0;
    const main =
      !isRoot &&
      (await readFile(user).then(
        () => true,
        () => false,
      ))
        ? user
        : "/etc/containers/registries.conf";
    files.push(main);
    const dropIns = `${main}.d`;
    const names = await readdir(dropIns).catch(() => [] as string[]);
    files.push(
      ...names
        .filter((n) => n.endsWith(".conf"))
        .sort()
        .map((n) => join(dropIns, n)),
    );
  }
  const conf: RegistriesConf = { registries: [], unqualifiedSearch: [], files: [] };
  for (const file of files) {
    const text = await readFile(file, "utf8").catch(() => null);
    if (text === null) continue;
    conf.files.push(file);
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(text) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${file}: not TOML: ${(error as Error).message}`, { cause: error });
    }
    if (Array.isArray(doc["unqualified-search-registries"]))
      conf.unqualifiedSearch = doc["unqualified-search-registries"].map(String);
    for (const r of Array.isArray(doc.registry) ? doc.registry : []) {
      const entry = r as Record<string, unknown>;
      const prefix = String(entry.prefix ?? entry.location ?? "");
      if (prefix === "") continue;
      // A later file's entry for the same prefix replaces the earlier one, as podman merges them.
      conf.registries = conf.registries.filter((e) => e.prefix !== prefix);
      conf.registries.push({
        prefix,
        insecure: entry.insecure === true,
        blocked: entry.blocked === true,
      });
    }
  }
  return conf;
}

/** The entry for `registry/repository`: the longest prefix that matches it whole. */
export function registryEntry(
  conf: RegistriesConf,
  registry: string,
  repository: string,
): RegistryEntry | null {
  const name = `${registry}/${repository}`;
  let best: RegistryEntry | null = null;
  for (const e of conf.registries) {
    const matches = name === e.prefix || name.startsWith(`${e.prefix}/`) || registry === e.prefix;
    if (matches && (!best || e.prefix.length > best.prefix.length)) best = e;
  }
  return best;
}

export interface Credentials {
  user: string;
  password: string;
  /** The auth file they came from. */
  file: string;
}

/**
 * The auth files podman reads, in its order: `REGISTRY_AUTH_FILE`, then
 * `${XDG_RUNTIME_DIR}/containers/auth.json` (`/run/containers/0/auth.json`
 * for root), `~/.config/containers/auth.json`, `~/.docker/config.json`.
 */
export function authFiles(env: Env = process.env): string[] {
  if (env.REGISTRY_AUTH_FILE) return [env.REGISTRY_AUTH_FILE];
  const home = env.HOME ?? homedir();
  const runtimeAuth = env.XDG_RUNTIME_DIR
    ? join(env.XDG_RUNTIME_DIR, "containers/auth.json")
    : process.getuid?.() === 0
      ? "/run/containers/0/auth.json"
      : null;
  return [
    ...(runtimeAuth ? [runtimeAuth] : []),
    join(home, ".config/containers/auth.json"),
    join(home, ".docker/config.json"),
  ];
}

/**
 * The credentials `podman login` stored for `registry/repository`: the most
 * specific key (`host/ns/repo`, then `host/ns`, then `host`) of the first file
 * that has one. A credential helper is not run: an error says so.
 */
export async function credentialsFor(
  registry: string,
  repository: string,
  env: Env = process.env,
): Promise<Credentials | null> {
  const parts = repository.split("/");
  const keys = parts.map((_, i) => [registry, ...parts.slice(0, parts.length - i)].join("/"));
  keys.push(registry, `https://${registry}`, `http://${registry}`);
  for (const file of authFiles(env)) {
    const text = await readFile(file, "utf8").catch(() => null);
    if (text === null) continue;
    let doc: { auths?: Record<string, { auth?: string }>; credHelpers?: Record<string, string> };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (error) {
      throw new Error(`${file}: not JSON: ${(error as Error).message}`, { cause: error });
    }
    for (const key of keys) {
      const auth = doc.auths?.[key]?.auth;
      if (auth) {
        const plain = Buffer.from(auth, "base64").toString("utf8");
        const colon = plain.indexOf(":");
        if (colon < 0) throw new Error(`${file}: the entry for ${key} is not user:password`);
        return { user: plain.slice(0, colon), password: plain.slice(colon + 1), file };
      }
      const helper = doc.credHelpers?.[key];
      if (helper)
        throw new Error(
          `${file}: ${key} uses the credential helper docker-credential-${helper}, which archy does not run; log in with podman login --authfile instead`,
        );
    }
  }
  return null;
}
