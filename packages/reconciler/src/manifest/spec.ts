import { createHash } from "node:crypto";
import type { ContainerSpec } from "@archy/runtime-podman";
import type { AppManifest } from "./index.js";

export const LABEL_APP = "io.archy.app";
export const LABEL_HASH = "io.archy.config-hash";
export const CONTAINER_PREFIX = "archy-";

export const containerName = (id: string) => `${CONTAINER_PREFIX}${id}`;

/** The container spec of an app, without the config-hash label (added at create time). */
export function toContainerSpec(app: AppManifest): ContainerSpec {
  const c = app.container;
  const hc = c.healthcheck;
  return {
    name: containerName(app.id),
    image: c.image,
    ...(c.command ? { command: c.command } : {}),
    ...(c.entrypoint ? { entrypoint: c.entrypoint } : {}),
    env: c.env,
    ports: c.ports,
    volumes: c.volumes,
    network: c.network,
    // Only when given: an app without aliases keeps the config hash it had.
    ...(c.networkAliases.length ? { networkAliases: c.networkAliases } : {}),
    labels: { [LABEL_APP]: app.id },
    ...(c.user ? { user: c.user } : {}),
    ...(c.capAdd.length ? { capAdd: c.capAdd } : {}),
    ...(c.capDrop.length ? { capDrop: c.capDrop } : {}),
    ...(c.readOnly ? { readOnly: true } : {}),
    stopTimeout: Math.ceil(c.stopTimeoutMs / 1000),
    ...(c.stopSignal ? { stopSignal: c.stopSignal } : {}),
    // Only when given: an app without limits keeps the config hash it had.
    ...(c.resources ? { resources: c.resources } : {}),
    // Only `cmd` checks live in the container; http/tcp are probed from the host.
    ...(hc?.kind === "cmd"
      ? {
          healthcheck: {
            cmd: hc.cmd,
            timeoutMs: hc.timeoutMs,
            retries: hc.retries,
            startPeriodMs: hc.startPeriodMs,
          },
        }
      : {}),
  };
}

/** JSON with object keys sorted, so key order never changes a hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The config hash of SPEC section 3: the normalised container spec, the image
 * id and the contents of `config_files` (as they are after the pre-start
 * hooks ran). Key order, comments and manifest fields that do not reach the
 * container (name, version, restart policy, hooks) do not change it.
 */
export function configHash(
  app: AppManifest,
  imageId: string,
  configFileContents: Record<string, string | Buffer | null>,
): string {
  const files = Object.keys(configFileContents)
    .sort()
    .map((path) => {
      const content = configFileContents[path];
      return [
        path,
        content === null || content === undefined
          ? null
          : createHash("sha256").update(content).digest("hex"),
      ];
    });
  const spec = toContainerSpec(app);
  return createHash("sha256").update(canonicalJson({ spec, imageId, files })).digest("hex");
}

const SECRET = /PASS|SECRET|TOKEN|KEY|CREDENTIAL/i;

/** Whether an env key's value must never be shown (SPEC section 8). */
export const isSecretKey = (key: string) => SECRET.test(key);

/** The env with secret values replaced by `***`. */
export function redactEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, isSecretKey(k) ? "***" : v]));
}

/** Replaces every secret value of an app's env found in a text (for logs of errors and hooks). */
export function redactText(text: string, env: Record<string, string>): string {
  let out = text;
  for (const [k, v] of Object.entries(env))
    if (isSecretKey(k) && v.length >= 4) out = out.split(v).join("***");
  return out;
}
