// The `.container` unit of one app, from its normalised manifest. Pure.
//
// Keys are chosen so that the unit runs the container archy would create
// (runtime-podman's createArgs) on the oldest podman possible: a dedicated
// Quadlet key where podman 4.4/4.5 has one that means the same, PodmanArgs=
// otherwise (see each case), and for a target podman older than a key, the
// flag instead (storage.ts, health below). Where archy's behaviour cannot be
// expressed, the unit says so in a comment and the export returns the same
// note; what cannot be said at all is refused (limits.ts).
import { join } from "node:path";
import { containerName, isSecretKey, LABEL_APP, type AppManifest } from "@archy/reconciler";
import { ConvertError } from "../errors.js";
import { sizeText } from "../size.js";
import { targetLacks } from "../target.js";
import { QUADLET_KEYS, type PodmanVersion } from "./keys.js";
import { quadletRefusals } from "./limits.js";
import { planStorage, type Fallback } from "./storage.js";
import { duration, freeText, quoteWord, quoteWords, rawValue } from "./syntax.js";
import { UnitBuilder } from "./unit-text.js";

type PortMapping = AppManifest["container"]["ports"][number];

export interface RenderOptions {
  /** Absolute path of the app's env file of secret values, when it has any. */
  envFile?: string;
  /** Ids of the apps exported together (a dependency outside them gets a note). */
  exported?: ReadonlySet<string>;
  /** The podman the unit is for (`major.minor`); undefined: 4.4 and newer, as keys allow. */
  podman?: PodmanVersion;
}

export interface RenderedContainer {
  body: UnitBuilder;
  /** What the unit cannot express, one sentence each (also comments in the unit). */
  notes: string[];
  /** Named volumes and networks the unit refers to (their units must be exported too). */
  volumes: string[];
  networks: string[];
  /** The env entries whose values are secret (SPEC section 8): for the env file, never the unit. */
  secretEnv: [string, string][];
  /** Keys the target podman lacks, and what was written instead. */
  fallbacks: Fallback[];
}

/** Grace systemd gives podman beyond the container's own stop timeout, in seconds. */
export const STOP_MARGIN_S = 10;

const byKey = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);

function portValue(p: PortMapping): string {
  const host = p.hostIp ? (p.hostIp.includes(":") ? `[${p.hostIp}]:` : `${p.hostIp}:`) : "";
  return `${host}${p.hostPort}:${p.containerPort}/${p.protocol}`;
}

const HEALTH_SINCE = QUADLET_KEYS.Container.HealthCmd!;

/**
 * Whether an image reference names its registry (`quay.io/x`,
 * `localhost/x`, `host:5000/x`) or is an image id: podman's generator warns
 * about any other ("not a fully qualified image name"), by this rule.
 */
export function isFullyQualifiedImage(image: string): boolean {
  if (/^(sha256:)?[0-9a-f]{64}$/.test(image)) return true;
  const slash = image.indexOf("/");
  if (slash < 0) return false;
  const domain = image.slice(0, slash);
  return domain === "localhost" || domain.includes(".") || domain.includes(":");
}

/**
 * Renders the `.container` unit body of `app` (the exporter adds the
 * header). Throws the first of quadletRefusals(app), or a ConvertError for
 * a value no unit can hold.
 */
export function renderContainer(app: AppManifest, opts: RenderOptions = {}): RenderedContainer {
  const refused = quadletRefusals(app);
  if (refused.length > 0) throw refused[0]!;
  const c = app.container;
  const notes: string[] = [];
  const u = new UnitBuilder();
  const storage = planStorage(app, opts.podman);
  const fallbacks = [...storage.fallbacks];

  // [Unit]: dependencies start first. systemd waits for their containers to
  // start (Quadlet's default Notify= is conmon's), not to be healthy.
  u.section("Unit")
    .set("Description", freeText(`${app.name} (archy app ${app.id})`))
    .set("Wants", "network-online.target")
    .set("After", "network-online.target");
  for (const dep of app.dependsOn) {
    u.set("Requires", `${containerName(dep)}.service`).set(
      "After",
      `${containerName(dep)}.service`,
    );
    if (opts.exported && !opts.exported.has(dep))
      notes.push(
        `depends on ${dep}, which is not in this export: ${containerName(dep)}.service must exist.`,
      );
  }
  if (app.dependsOn.length > 0)
    notes.push(
      "systemd starts this unit once its dependencies' containers have started, without waiting for them to be healthy as archy does.",
    );
  for (const path of storage.mountsFor) u.set("RequiresMountsFor", path);

  u.section("Container")
    .set("ContainerName", rawValue(containerName(app.id), "container name"))
    .set("Image", rawValue(c.image, "image"));
  if (!isFullyQualifiedImage(c.image))
    notes.push(
      `the image ${c.image} does not name its registry: podman resolves it by the short names of registries.conf (as it does for archy), and Quadlet's generator warns about it; write it with its registry (docker.io/library/... for Docker Hub) to be sure which image runs.`,
    );
  // Entrypoint= is podman 5.0; --entrypoint takes the same JSON array.
  if (c.entrypoint) u.set("PodmanArgs", quoteWord(`--entrypoint=${JSON.stringify(c.entrypoint)}`));
  if (c.command?.length) u.set("Exec", quoteWords(c.command));

  const env = Object.entries(c.env).sort(byKey);
  const secretEnv = env.filter(([k]) => isSecretKey(k));
  for (const [k, v] of env) if (!isSecretKey(k)) u.set("Environment", quoteWord(`${k}=${v}`));
  if (secretEnv.length > 0) {
    if (!opts.envFile)
      throw new TypeError(`app ${app.id} has secret env values: an env file path is needed`);
    u.set("EnvironmentFile", quoteWord(opts.envFile));
  }

  for (const p of c.ports) u.set("PublishPort", rawValue(portValue(p), "port"));

  for (const [key, value] of storage.lines) u.set(key, value);
  if (storage.fallbacks.some((f) => f.key === "NetworkName"))
    notes.push(
      `podman ${opts.podman} lacks NetworkName= (podman 4.7): the network ${c.network} must exist before this unit starts (podman network create ${c.network}).`,
    );
  // NetworkAlias= arrived in podman 5.2; the flag works on every version.
  for (const alias of c.networkAliases) u.set("PodmanArgs", `--network-alias=${alias}`);

  // User=/Group= take numbers only before podman 4.8 (a name became uid 0):
  // a name goes through --user.
  const numericUser = c.user ? /^(\d+)(?::(\d+))?$/.exec(c.user) : null;
  if (numericUser) u.set("User", numericUser[1]).set("Group", numericUser[2]);
  else if (c.user) u.set("PodmanArgs", quoteWord(`--user=${c.user}`));

  const capKey = (key: string, flag: string, cap: string) =>
    /^[A-Za-z0-9_]+$/.test(cap)
      ? u.set(key, cap)
      : u.set("PodmanArgs", quoteWord(`--${flag}=${cap}`));
  for (const cap of c.capAdd) capKey("AddCapability", "cap-add", cap);
  for (const cap of c.capDrop) capKey("DropCapability", "cap-drop", cap);
  // ReadOnly=true on podman 4.4-4.7 also turns off the tmpfs that --read-only
  // mounts on /tmp, /var/tmp and /run (unless VolatileTmp=, deprecated since):
  // --read-only is what archy runs, on every version.
  if (c.readOnly) u.set("PodmanArgs", "--read-only");
  // PidsLimit= is podman 4.7 and Memory= 5.5; no Quadlet has a key for
  // --memory-reservation or --cpus: the flags, on every version.
  const r = c.resources;
  if (r?.memoryBytes !== undefined) u.set("PodmanArgs", `--memory=${sizeText(r.memoryBytes)}`);
  if (r?.memoryReservationBytes !== undefined)
    u.set("PodmanArgs", `--memory-reservation=${sizeText(r.memoryReservationBytes)}`);
  if (r?.cpus !== undefined) u.set("PodmanArgs", `--cpus=${r.cpus}`);
  if (r?.pids !== undefined) u.set("PodmanArgs", `--pids-limit=${r.pids}`);

  // archy's own label; the config hash covers the image id and the config
  // files as the hooks render them, which an export cannot know.
  u.set("Label", quoteWord(`${LABEL_APP}=${app.id}`));

  const hc = c.healthcheck;
  if (hc?.kind === "cmd") {
    // The same JSON array archy passes to --health-cmd; podman's timer runs
    // it. archy restarts a container unhealthy past its retries; killing it
    // hands it to the unit's Restart=.
    const health: [key: string, flag: string, value: string][] = [
      ["HealthCmd", "cmd", JSON.stringify(hc.cmd)],
      ["HealthInterval", "interval", duration(hc.intervalMs)],
      ["HealthTimeout", "timeout", duration(hc.timeoutMs)],
      ["HealthRetries", "retries", String(hc.retries)],
      ["HealthStartPeriod", "start-period", duration(hc.startPeriodMs)],
      ["HealthOnFailure", "on-failure", "kill"],
    ];
    // The Health*= keys are podman 4.5; the flags work on 4.4 (--health-on-failure since 4.3).
    if (targetLacks(opts.podman, HEALTH_SINCE)) {
      fallbacks.push({ key: "HealthCmd", since: HEALTH_SINCE, name: app.id });
      for (const [, flag, value] of health)
        u.set("PodmanArgs", quoteWord(`--health-${flag}=${value}`));
    } else
      for (const [key, , value] of health)
        u.set(key, key === "HealthCmd" ? rawValue(value, "health command") : value);
  } else if (hc) {
    const what =
      hc.kind === "http" ? `http (port ${hc.port}, path ${hc.path})` : `tcp (port ${hc.port})`;
    notes.push(
      `the ${what} health check is not exported: archy probes it from the host, while a Quadlet health check runs inside the container, where no probing tool is certain to exist; add HealthCmd= if the image has one.`,
    );
  }

  // StopTimeout= is podman 5.0, StopSignal= 5.2, Pull= 4.6: the flags work on 4.4.
  u.set("PodmanArgs", `--stop-timeout=${Math.ceil(c.stopTimeoutMs / 1000)}`);
  if (c.stopSignal) u.set("PodmanArgs", quoteWord(`--stop-signal=${c.stopSignal}`));
  if (c.pull !== "missing") u.set("PodmanArgs", `--pull=${c.pull}`);
  const hooks = app.hooks.preStart;
  if (hooks.length > 0)
    notes.push(
      `pre_start ${hooks.length === 1 ? "hook" : "hooks"} ${hooks.map((h) => `\`${h.join(" ")}\``).join(", ")} (in ${app.dir}) must be run by hand before the unit starts.`,
    );
  if (c.build)
    notes.push(
      `a .container unit cannot build its image (Quadlet .build units need podman 5.2): build it first, podman build -t ${c.image}${c.build.containerfile ? ` -f ${join(c.build.context, c.build.containerfile)}` : ""} ${c.build.context}.`,
    );

  u.section("Service")
    .set("Restart", app.restart.policy)
    // systemd restarts after a fixed delay: archy's doubling back-off starts here.
    .set("RestartSec", duration(app.restart.backoff.initialMs))
    .set("TimeoutStopSec", Math.ceil(c.stopTimeoutMs / 1000) + STOP_MARGIN_S);
  u.section("Install").set("WantedBy", "default.target");

  return {
    body: u,
    notes,
    volumes: storage.volumes,
    networks: storage.networks,
    secretEnv,
    fallbacks,
  };
}

/** The env file of an app's secret values: podman reads each line literally. */
export function renderEnvFile(app: AppManifest, secretEnv: readonly [string, string][]): string {
  const lines = [
    `# Secret environment of archy app ${app.id}, for ${containerName(app.id)}.container.`,
    "# Generated by archy; mode 0600. Edits are overwritten on the next export.",
  ];
  for (const [k, v] of secretEnv) {
    // podman's env files have no quoting: a value is the rest of its line
    // (quadletRefusals refuses such an app before it gets here).
    // eslint-disable-next-line no-control-regex
    if (/[\n\r\u0000]/.test(v))
      throw new ConvertError(
        "EUNSUPPORTED",
        `app ${app.id}: the value of ${k} holds a line break, which a podman env file cannot hold`,
        { app: app.id, field: `container.env.${k}` },
      );
    lines.push(`${k}=${v}`);
  }
  return `${lines.join("\n")}\n`;
}
