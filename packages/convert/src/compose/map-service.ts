// One compose service into one archy manifest (as plain data, in the
// manifest's documented field order). Every key archy cannot express is a
// warning at that key.
import { resolve } from "node:path";
import { isDict, warnOtherKeys, type MapContext } from "./context.js";
import { mapHealthcheck, mapDuration, mapRestart, type ArchyHealthcheck } from "./map-health.js";
import { mapDependsOn, mapNetwork } from "./map-links.js";
import { mapEnv } from "./map-env.js";
import { mapLabels, type UpdatePolicy } from "./map-labels.js";
import { mapPorts } from "./map-ports.js";
import { mapResources, type ArchyResources } from "./map-resources.js";
import { createDirsHook, mapVolumes } from "./map-volumes.js";
import type { ComposePath, Located } from "./positions.js";
import { asBoolean, asText, splitWords } from "./values.js";

export interface ArchyManifest {
  app: {
    id: string;
    name: string;
    version: string;
    depends_on?: string[];
    container: {
      image: string;
      build?: { context: string; containerfile?: string };
      pull?: "missing" | "always" | "never";
      command?: string[];
      entrypoint?: string[];
      env?: Record<string, string>;
      ports?: string[];
      volumes?: string[];
      network?: string;
      network_aliases?: string[];
      user?: string;
      cap_add?: string[];
      cap_drop?: string[];
      read_only?: boolean;
      stop_timeout?: string;
      stop_signal?: string;
      healthcheck?: ArchyHealthcheck;
      resources?: ArchyResources;
    };
    restart: { policy: "always" | "on-failure" | "no" };
    hooks?: { pre_start: string[][] };
    update?: { policy: UpdatePolicy };
  };
}

/** The keys of a service this importer maps (others are warned about). */
const HANDLED = [
  "image",
  "build",
  "pull_policy",
  "command",
  "entrypoint",
  "environment",
  "env_file",
  "ports",
  "volumes",
  "networks",
  "network_mode",
  "depends_on",
  "healthcheck",
  "restart",
  "stop_grace_period",
  "stop_signal",
  "user",
  "cap_add",
  "cap_drop",
  "read_only",
  "labels",
  // map-resources.ts
  "mem_limit",
  "mem_reservation",
  "cpus",
  "pids_limit",
  "deploy",
];

const WHY: Record<string, string> = {
  container_name: "archy names every container archy-<app id>; container_name is left out",
  expose:
    "expose only documents ports other containers may use; archy publishes none, and it is left out",
  profiles: "archy has no profiles: this service is imported like every other",
  extends: "archy cannot follow extends: the keys it would bring in are not imported",
};

/** The tag of an image reference (`nginx:1.27@sha256:…` -> 1.27), or undefined. */
export function imageTag(image: string): string | undefined {
  const noDigest = image.split("@")[0]!;
  const colon = noDigest.lastIndexOf(":");
  return colon > noDigest.lastIndexOf("/") ? noDigest.slice(colon + 1) : undefined;
}

function argv(
  ctx: MapContext,
  path: ComposePath,
  value: unknown,
  what: string,
): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const words =
    typeof value === "string"
      ? splitWords(value)
      : Array.isArray(value)
        ? value.map((w) => asText(w) ?? "")
        : null;
  if (words === null) {
    ctx.invalid(
      path,
      `expected a ${what} (a list of words, or a string with balanced quotes)`,
      "value",
    );
    return undefined;
  }
  if (words.length === 0) {
    ctx.warn(
      path,
      `an empty ${what} (which clears the image's own) cannot be expressed by archy; the image's ${what} is used`,
    );
    return undefined;
  }
  return words;
}

function mapBuild(
  ctx: MapContext,
  path: ComposePath,
  value: unknown,
): { context: string; containerfile?: string } | undefined {
  if (value === undefined || value === null) return undefined;
  const def = typeof value === "string" ? { context: value } : isDict(value) ? value : {};
  warnOtherKeys(
    ctx,
    path,
    def,
    ["context", "dockerfile"],
    (k) => `archy builds with a context and a containerfile only: "${k}" is left out`,
  );
  const context = asText(def.context) ?? ".";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith("git@")) {
    ctx.unsupported(
      typeof value === "string" ? path : [...path, "context"],
      "archy builds from a local folder only, not from a URL",
      "value",
    );
    return undefined;
  }
  const dockerfile = asText(def.dockerfile);
  return {
    context: resolve(ctx.dir, context),
    ...(dockerfile ? { containerfile: dockerfile } : {}),
  };
}

const PULL: Record<string, "missing" | "always" | "never"> = {
  always: "always",
  missing: "missing",
  if_not_present: "missing",
  never: "never",
};

/** The manifest of service `name`. */
export async function mapService(
  ctx: MapContext,
  name: string,
  fileWarnings: Located[],
): Promise<ArchyManifest> {
  const path = ["services", name];
  const s =
    isDict(ctx.data.services) && isDict(ctx.data.services[name])
      ? (ctx.data.services[name] as Record<string, unknown>)
      : {};
  for (const key of Object.keys(s))
    if (!HANDLED.includes(key))
      ctx.warn([...path, key], WHY[key] ?? `archy cannot express "${key}"; it is left out`);

  const build = mapBuild(ctx, [...path, "build"], s.build);
  let image = asText(s.image);
  const hasBuild = s.build !== undefined && s.build !== null;
  if (image === undefined && hasBuild) image = `localhost/${ctx.project}-${name}`.toLowerCase();
  if (image === undefined || image === "") {
    ctx.invalid(path, image === "" ? "image is empty" : "has neither an image nor a build", "key");
    image = "invalid";
  } else if (image.startsWith("-") || !/^[a-zA-Z0-9][a-zA-Z0-9._\-/:@]*$/.test(image))
    ctx.invalid([...path, "image"], `"${image}" is not an image reference`, "value");

  const c: ArchyManifest["app"]["container"] = { image };
  if (build) c.build = build;
  const pullPolicy = asText(s.pull_policy);
  if (pullPolicy !== undefined && pullPolicy !== "build") {
    const pull = PULL[pullPolicy];
    if (!pull)
      ctx.warn(
        [...path, "pull_policy"],
        `archy cannot express pull_policy "${pullPolicy}": it pulls when the image is missing`,
      );
    else if (build && pull !== "never")
      ctx.warn(
        [...path, "pull_policy"],
        "archy never pulls an image it builds: pull_policy is left out",
      );
    else if (!build) c.pull = pull;
  }
  const command = argv(ctx, [...path, "command"], s.command, "command");
  if (command) c.command = command;
  const entrypoint = argv(ctx, [...path, "entrypoint"], s.entrypoint, "entrypoint");
  if (entrypoint) c.entrypoint = entrypoint;
  const env = await mapEnv(ctx, path, s, fileWarnings);
  if (Object.keys(env).length > 0) c.env = env;
  const ports = mapPorts(ctx, [...path, "ports"], s.ports);
  if (ports.length > 0) c.ports = ports;
  const createDirs: string[] = [];
  const volumes = mapVolumes(ctx, [...path, "volumes"], s.volumes, createDirs);
  if (volumes.length > 0) c.volumes = volumes;
  const { network, aliases } = mapNetwork(ctx, path, s, name);
  c.network = network;
  if (aliases.length > 0) c.network_aliases = aliases;
  const user = asText(s.user);
  if (user) c.user = user;
  for (const key of ["cap_add", "cap_drop"] as const) {
    const caps = Array.isArray(s[key]) ? (s[key] as unknown[]).map((x) => asText(x) ?? "") : [];
    if (caps.length > 0) c[key] = caps;
  }
  const readOnly = asBoolean(s.read_only);
  if (readOnly !== undefined) c.read_only = readOnly;
  const stopTimeout = mapDuration(ctx, [...path, "stop_grace_period"], s.stop_grace_period);
  if (stopTimeout !== undefined) c.stop_timeout = stopTimeout;
  const stopSignal = asText(s.stop_signal);
  if (stopSignal) c.stop_signal = stopSignal;
  const healthcheck = mapHealthcheck(ctx, [...path, "healthcheck"], s.healthcheck);
  if (healthcheck) c.healthcheck = healthcheck;
  const resources = mapResources(ctx, path, s);
  if (resources) c.resources = resources;

  const policy = mapLabels(ctx, [...path, "labels"], s.labels);
  const hook = createDirsHook(createDirs);
  const dependsOn = mapDependsOn(ctx, [...path, "depends_on"], s.depends_on);
  return {
    app: {
      id: ctx.appId(name),
      name,
      version: build ? "compose" : (imageTag(image) ?? "compose"),
      ...(dependsOn.length > 0 ? { depends_on: dependsOn } : {}),
      container: c,
      restart: { policy: mapRestart(ctx, [...path, "restart"], s.restart) },
      ...(hook ? { hooks: { pre_start: [hook] } } : {}),
      ...(policy ? { update: { policy } } : {}),
    },
  };
}
