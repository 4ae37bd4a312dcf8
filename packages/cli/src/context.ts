import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { PodmanRuntime } from "@archy/runtime-podman";
import { Output } from "./output.js";

export interface GlobalOptions {
  stateDir?: string;
  manifests?: string;
  config?: string;
  json?: boolean;
  quiet?: boolean;
}

export interface Context {
  stateDir: string;
  manifestsDir: string;
  /** archy's config file (`--config`, ARCHY_CONFIG, or the default); `configNamed`: one of the first two. */
  configFile: string;
  configNamed: boolean;
  socketPath: string;
  json: boolean;
  quiet: boolean;
  out: Output;
  /** The podman runtime (ARCHY_PODMAN, ARCHY_PODMAN_ARGS), made on first use. */
  runtime(): PodmanRuntime;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** `/var/lib/archy` as root, `$XDG_STATE_HOME/archy` (or ~/.local/state/archy) otherwise. */
export function defaultStateDir(env = process.env): string {
  if (isRoot()) return "/var/lib/archy";
  return join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "archy");
}

/** `/etc/archy/apps` as root, `$XDG_CONFIG_HOME/archy/apps` (or ~/.config/archy/apps) otherwise. */
export function defaultManifestsDir(env = process.env): string {
  if (isRoot()) return "/etc/archy/apps";
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "archy", "apps");
}

/** `/etc/archy/archy.yaml` as root, `$XDG_CONFIG_HOME/archy/archy.yaml` (or ~/.config/archy/archy.yaml) otherwise. */
export function defaultConfigFile(env = process.env): string {
  if (isRoot()) return "/etc/archy/archy.yaml";
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "archy", "archy.yaml");
}

/** ARCHY_PODMAN_ARGS split on white space (no quoting). */
export function podmanArgs(env = process.env): string[] {
  return (env.ARCHY_PODMAN_ARGS ?? "").split(/\s+/).filter(Boolean);
}

export function createContext(opts: GlobalOptions, env = process.env): Context {
  const stateDir = resolve(opts.stateDir ?? env.ARCHY_STATE_DIR ?? defaultStateDir(env));
  const manifestsDir = resolve(opts.manifests ?? env.ARCHY_MANIFESTS ?? defaultManifestsDir(env));
  let runtime: PodmanRuntime | null = null;
  const named = opts.config ?? env.ARCHY_CONFIG;
  return {
    stateDir,
    manifestsDir,
    configFile: resolve(named || defaultConfigFile(env)),
    configNamed: Boolean(named),
    socketPath: join(stateDir, "archy.sock"),
    json: opts.json ?? false,
    quiet: opts.quiet ?? false,
    out: new Output({ json: opts.json ?? false, quiet: opts.quiet ?? false }),
    runtime() {
      runtime ??= new PodmanRuntime({
        podmanPath: env.ARCHY_PODMAN || "podman",
        globalArgs: podmanArgs(env),
        ...(env.ARCHY_PODMAN_TIMEOUT_MS ? { timeoutMs: Number(env.ARCHY_PODMAN_TIMEOUT_MS) } : {}),
      });
      return runtime;
    },
  };
}
