// How services reach each other: `networks:` / `network_mode:` into archy's
// one `network`, and `depends_on:` (list and map forms) into app ids.
import { isDict, warnOtherKeys, type MapContext } from "./context.js";
import type { ComposePath } from "./positions.js";
import { asBoolean, asText } from "./values.js";

/** The podman name of the top-level network `key` (undeclared and not `default`: null). */
function networkName(ctx: MapContext, key: string): string | null {
  const networks = isDict(ctx.data.networks) ? ctx.data.networks : {};
  const def = Object.hasOwn(networks, key) ? networks[key] : undefined;
  if (!Object.hasOwn(networks, key) && key !== "default") return null;
  const name = isDict(def) ? asText(def.name) : undefined;
  if (name) return name;
  if (isDict(def) && (asBoolean(def.external) || isDict(def.external))) return key;
  return `${ctx.project}_${key}`;
}

/** Warns about the top-level `networks:` options archy does not set. */
export function warnNetworkDefinitions(ctx: MapContext): void {
  if (!isDict(ctx.data.networks)) return;
  for (const [key, def] of Object.entries(ctx.data.networks))
    warnOtherKeys(ctx, ["networks", key], def, ["name", "external"], (k) =>
      k === "driver" && isDict(def) && def.driver === "bridge"
        ? `archy's runtime creates the network itself with podman's defaults; "driver: bridge" is what it uses`
        : `archy creates the network with podman's defaults: "${k}" cannot be expressed and is left out`,
    );
}

/** A name podman's DNS (aardvark) answers: letters, digits and `-`, dot-separated. */
const DNS_NAME =
  /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * The service's `network` (host/none/bridge as they are, else one named
 * network) and, on a named network, its `network_aliases`: the service's
 * name and the `aliases:` compose gives it there, so the other services
 * reach it by the names they use under compose (`DB_HOST=db`).
 */
export function mapNetwork(
  ctx: MapContext,
  path: ComposePath,
  service: Record<string, unknown>,
  serviceName: string,
): { network: string; aliases: string[] } {
  const named = (network: string, extra: { at: ComposePath; names: unknown }[] = []) => {
    const aliases: string[] = [];
    const add = (alias: string, at: ComposePath) => {
      if (aliases.includes(alias)) return;
      if (DNS_NAME.test(alias)) aliases.push(alias);
      else
        ctx.warn(
          at,
          `"${alias}" is not a DNS name podman can answer (letters, digits, '-' and '.'): the container is not reachable by it`,
        );
    };
    add(serviceName, path);
    for (const { at, names } of extra)
      if (Array.isArray(names)) names.forEach((n, i) => add(asText(n) ?? "", [...at, i]));
    return { network, aliases };
  };
  const mode = asText(service.network_mode);
  if (mode !== undefined) {
    if (mode === "host" || mode === "none" || mode === "bridge")
      return { network: mode, aliases: [] };
    ctx.warn(
      [...path, "network_mode"],
      `archy cannot express network_mode "${mode}" (sharing another container's network); the service joins the project's default network instead`,
    );
    return named(networkName(ctx, "default")!);
  }
  const networks = service.networks;
  const keys = Array.isArray(networks)
    ? networks.map((n) => asText(n) ?? "")
    : isDict(networks)
      ? Object.keys(networks)
      : [];
  if (keys.length === 0) return named(networkName(ctx, "default")!);
  const names = keys.map((key, i) => {
    const name = networkName(ctx, key);
    if (name === null)
      ctx.invalid(
        [...path, "networks", Array.isArray(networks) ? i : key],
        `refers to the network "${key}", which the top-level networks: does not declare`,
        Array.isArray(networks) ? "value" : "key",
      );
    return name;
  });
  if (isDict(networks))
    for (const key of keys)
      warnOtherKeys(
        ctx,
        [...path, "networks", key],
        networks[key],
        ["aliases"],
        (k) =>
          `archy cannot express the network option "${k}" (fixed addresses, priorities, ...); it is left out`,
      );
  if (keys.length > 1)
    ctx.warn(
      [...path, "networks"],
      `archy joins one network per app: the service joins "${keys[0]}" only, not ${keys
        .slice(1)
        .map((k) => `"${k}"`)
        .join(", ")}`,
    );
  const first = keys[0]!;
  const options = isDict(networks) ? networks[first] : undefined;
  return named(
    names[0] ?? networkName(ctx, "default")!,
    isDict(options)
      ? [{ at: [...path, "networks", first, "aliases"], names: options.aliases }]
      : [],
  );
}

/** The service's `depends_on` as app ids. */
export function mapDependsOn(ctx: MapContext, path: ComposePath, value: unknown): string[] {
  const services = isDict(ctx.data.services) ? ctx.data.services : {};
  const entries: [string, ComposePath, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [asText(v) ?? "", [...path, i], undefined])
    : isDict(value)
      ? Object.entries(value).map(([k, v]) => [k, [...path, k], v])
      : [];
  const ids: string[] = [];
  for (const [name, at, options] of entries) {
    if (!Object.hasOwn(services, name)) {
      ctx.invalid(
        at,
        `depends on "${name}", which is not a service of this file`,
        Array.isArray(value) ? "value" : "key",
      );
      continue;
    }
    ids.push(ctx.appId(name));
    if (!isDict(options)) continue;
    warnOtherKeys(ctx, at, options, ["condition", "required"], (k) =>
      k === "restart"
        ? `archy cannot express "restart": a dependent is retried when its dependency comes back, not restarted`
        : `archy cannot express "${k}"; it is left out`,
    );
    if (asBoolean(options.required) === false)
      ctx.warn([...at, "required"], "archy cannot express an optional dependency: it is required");
    const condition = asText(options.condition) ?? "service_started";
    if (condition === "service_started")
      ctx.warn(
        [...at, options.condition === undefined ? "" : "condition"].filter(Boolean),
        `archy starts a dependent only once "${name}" is running and healthy (service_healthy), not as soon as it started`,
      );
    else if (condition === "service_completed_successfully")
      ctx.warn(
        [...at, "condition"],
        `archy cannot wait for "${name}" to complete successfully: its depends_on waits for it to be running and healthy, so a one-shot "${name}" that exits would hold this app back`,
      );
  }
  if (Array.isArray(value) && ids.length > 0)
    ctx.warn(
      path,
      `archy starts this app only once ${entries.map(([n]) => `"${n}"`).join(", ")} ${ids.length === 1 ? "is" : "are"} running and healthy; compose's list form only waits for ${ids.length === 1 ? "it" : "them"} to start`,
    );
  return [...new Set(ids)];
}
