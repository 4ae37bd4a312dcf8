import { InvalidArgumentError } from "./errors.js";
import type { ContainerSpec } from "./types.js";

/** podman's own rule for container names. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Labels of letters, digits and `-` (not at either end), joined by dots; 253 characters at most. */
const DNS_NAME =
  /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
/** A reference: registry/name:tag@digest, lower-case path components. */
const IMAGE = /^[a-zA-Z0-9][a-zA-Z0-9._\-/:@]*$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._\-/]*$/;
const CAP = /^[A-Za-z_]+$/;
const SIGNAL = /^(SIG)?[A-Z0-9+-]+$|^\d+$/;

function check(field: string, value: string, ok: boolean, expected: string): void {
  if (value.startsWith("-"))
    throw new InvalidArgumentError(
      field,
      value,
      "must not start with '-' (podman would read it as a flag)",
    );
  if (!ok) throw new InvalidArgumentError(field, value, expected);
}

export function assertContainerName(name: string): void {
  check(
    "container name",
    name,
    NAME.test(name) && name.length <= 253,
    "letters, digits, '_', '.', '-', starting with a letter or digit",
  );
}

export function assertImage(image: string): void {
  check(
    "image",
    image,
    IMAGE.test(image) && image.length <= 512,
    "an image reference such as localhost/app:1.0",
  );
}

export function assertVolumeName(name: string): void {
  check("volume name", name, NAME.test(name), "letters, digits, '_', '.', '-'");
}

/** Validates everything of a spec that becomes a podman argument. */
export function assertSpec(spec: ContainerSpec): void {
  assertContainerName(spec.name);
  assertImage(spec.image);
  for (const [k] of Object.entries(spec.env ?? {}))
    check("env name", k, ENV_KEY.test(k), "a variable name");
  for (const [k] of Object.entries(spec.labels ?? {}))
    check("label", k, LABEL_KEY.test(k), "a label key");
  for (const p of spec.ports ?? []) {
    for (const n of [p.hostPort, p.containerPort]) {
      if (!Number.isInteger(n) || n < 1 || n > 65535)
        throw new InvalidArgumentError("port", String(n), "1-65535");
    }
    if (p.hostIp !== undefined)
      check("host ip", p.hostIp, /^[0-9a-fA-F.:]+$/.test(p.hostIp), "an IP address");
  }
  for (const v of spec.volumes ?? []) {
    if (v.source.startsWith("/"))
      check("volume source", v.source, !v.source.includes(":"), "a path without ':'");
    else assertVolumeName(v.source);
    check(
      "volume target",
      v.target,
      v.target.startsWith("/") && !v.target.includes(":"),
      "an absolute path without ':'",
    );
  }
  if (spec.network !== undefined)
    check("network", spec.network, NAME.test(spec.network), "bridge, host, none or a network name");
  for (const a of spec.networkAliases ?? [])
    check("network alias", a, DNS_NAME.test(a), "a DNS name");
  if (spec.user !== undefined)
    check("user", spec.user, /^[A-Za-z0-9_.:-]+$/.test(spec.user), "user[:group]");
  for (const c of [...(spec.capAdd ?? []), ...(spec.capDrop ?? [])])
    check("capability", c, CAP.test(c), "a capability name");
  if (spec.stopSignal !== undefined)
    check("stop signal", spec.stopSignal, SIGNAL.test(spec.stopSignal), "a signal such as SIGTERM");
  const r = spec.resources ?? {};
  for (const [what, n] of [
    ["memory", r.memoryBytes],
    ["memory reservation", r.memoryReservationBytes],
    ["pids limit", r.pids],
  ] as const)
    if (n !== undefined)
      check(what, String(n), Number.isSafeInteger(n) && n > 0, "a whole number above 0");
  if (r.cpus !== undefined)
    check(
      "cpus",
      String(r.cpus),
      Number.isFinite(r.cpus) && r.cpus > 0,
      "a number of CPUs above 0",
    );
}

/** Network modes podman knows without a network of that name. */
const BUILTIN_NETWORKS = new Set(["bridge", "host", "none", "private", "slirp4netns", "pasta"]);

/** A network archy may create on first use: named, not one of podman's own modes. */
export const isNamedNetwork = (network: string | undefined): network is string =>
  network !== undefined && !BUILTIN_NETWORKS.has(network);
