// A service's memory, CPU and process limits into archy's
// `container.resources`: `mem_limit`, `mem_reservation`, `cpus`,
// `pids_limit`, and `deploy.resources` (`limits.memory`, `limits.cpus`,
// `limits.pids`, `reservations.memory`).
//
// Where both forms give a value, docker compose applies deploy's: its
// getDeployResources (docker/compose pkg/compose/create.go) sets the service
// keys, then setLimits / setReservations overwrite each with a deploy value
// other than 0 (pids: above 0); the compose specification asks the two to
// agree. archy takes the value docker compose runs, with a warning at the
// service key when they differ. A CPU reservation is for swarm's scheduler
// only (docker compose ignores it): a warning, like the rest of `deploy`.
import { sizeText } from "../size.js";
import { isDict, warnOtherKeys, type Dict, type MapContext } from "./context.js";
import type { ComposePath } from "./positions.js";
import { composeBytes, composeNumber } from "./values.js";

export interface ArchyResources {
  memory?: string;
  memory_reservation?: string;
  cpus?: number;
  pids?: number;
}

/** podman (and docker) refuse a memory limit or reservation under 6 MiB. */
const MIN_MEMORY = 6 * 1024 ** 2;
/** The most CPUs archy's manifest takes. */
const MAX_CPUS = 1024;

/** Reads one value at `path`: a number (0 or below: no limit), or undefined when absent or refused. */
type Reader = (ctx: MapContext, path: ComposePath, value: unknown) => number | undefined;

const readMemory: Reader = (ctx, path, value) => {
  if (value === undefined || value === null) return undefined;
  const bytes = composeBytes(value);
  if (bytes === null) {
    ctx.invalid(
      path,
      `expected a size such as 512m or 1g, or a number of bytes, not ${JSON.stringify(value)}`,
      "value",
    );
    return undefined;
  }
  if (bytes > 0 && bytes < MIN_MEMORY) {
    ctx.invalid(path, `${String(value)} is under 6m, the least podman and docker accept`, "value");
    return undefined;
  }
  return bytes;
};

const readCpus: Reader = (ctx, path, value) => {
  if (value === undefined || value === null) return undefined;
  const n = composeNumber(value);
  if (n === null || n < 0) {
    ctx.invalid(
      path,
      `expected a number of CPUs such as 0.5 or 2, not ${JSON.stringify(value)}`,
      "value",
    );
    return undefined;
  }
  if (n > MAX_CPUS) {
    ctx.unsupported(path, `archy takes at most ${MAX_CPUS} CPUs`, "value");
    return undefined;
  }
  return n;
};

const readPids: Reader = (ctx, path, value) => {
  if (value === undefined || value === null) return undefined;
  const n = composeNumber(value);
  if (n === null || !Number.isSafeInteger(n) || n < -1) {
    ctx.invalid(
      path,
      `expected a whole number of processes (-1: no limit), not ${JSON.stringify(value)}`,
      "value",
    );
    return undefined;
  }
  return n;
};

interface Field {
  out: keyof ArchyResources;
  /** The service-level key. */
  key: string;
  /** Its place under `deploy.resources`. */
  deploy: readonly ["limits" | "reservations", string];
  read: Reader;
  show: (n: number) => string;
}

const FIELDS: readonly Field[] = [
  {
    out: "memory",
    key: "mem_limit",
    deploy: ["limits", "memory"],
    read: readMemory,
    show: sizeText,
  },
  {
    out: "memory_reservation",
    key: "mem_reservation",
    deploy: ["reservations", "memory"],
    read: readMemory,
    show: sizeText,
  },
  { out: "cpus", key: "cpus", deploy: ["limits", "cpus"], read: readCpus, show: String },
  { out: "pids", key: "pids_limit", deploy: ["limits", "pids"], read: readPids, show: String },
];

const RESERVATION_WHY: Record<string, string> = {
  cpus: "a CPU reservation is for swarm's scheduler (docker compose ignores it), and archy has none: it is left out",
  devices: "archy cannot give a container devices (GPUs): it is left out",
  generic_resources: "archy cannot express swarm's generic_resources: it is left out",
};

/** deploy's values that change nothing for one container on one host. */
const DEPLOY_DEFAULTS: Record<string, unknown> = { replicas: 1, mode: "replicated" };

/** One warning at `deploy` for what it has besides resources (swarm's settings). */
function warnDeploy(ctx: MapContext, path: ComposePath, deploy: Dict): void {
  const other = Object.keys(deploy).filter(
    (k) =>
      k !== "resources" &&
      !(
        k in DEPLOY_DEFAULTS &&
        (deploy[k] === DEPLOY_DEFAULTS[k] || composeNumber(deploy[k]) === DEPLOY_DEFAULTS[k])
      ),
  );
  if (other.length > 0)
    ctx.warn(
      path,
      `archy runs one container per app and maps deploy.resources only: the rest of deploy is left out (${other.join(", ")})`,
    );
}

interface Chosen {
  n: number;
  path: ComposePath;
  /** The key as the file names it: `mem_limit`, `deploy.resources.limits.memory`. */
  name: string;
}

/** The service's `container.resources`, or undefined when it sets none archy can express. */
export function mapResources(
  ctx: MapContext,
  path: ComposePath,
  service: Dict,
): ArchyResources | undefined {
  const deployPath = [...path, "deploy"];
  const deploy = isDict(service.deploy) ? service.deploy : {};
  warnDeploy(ctx, deployPath, deploy);
  const resPath = [...deployPath, "resources"];
  const res = isDict(deploy.resources) ? deploy.resources : {};
  warnOtherKeys(ctx, resPath, res, ["limits", "reservations"]);
  const groups = {
    limits: isDict(res.limits) ? res.limits : {},
    reservations: isDict(res.reservations) ? res.reservations : {},
  };
  warnOtherKeys(ctx, [...resPath, "limits"], groups.limits, ["memory", "cpus", "pids"]);
  warnOtherKeys(
    ctx,
    [...resPath, "reservations"],
    groups.reservations,
    ["memory"],
    (k) => RESERVATION_WHY[k] ?? `archy cannot express "${k}"; it is left out`,
  );

  const chosen = new Map<keyof ArchyResources, Chosen>();
  for (const f of FIELDS) {
    const ownPath = [...path, f.key];
    const own = f.read(ctx, ownPath, service[f.key]);
    const [group, key] = f.deploy;
    const fromDeploy = f.read(ctx, [...resPath, group, key], groups[group][key]);
    let pick: Chosen | undefined =
      own === undefined ? undefined : { n: own, path: ownPath, name: f.key };
    if (fromDeploy !== undefined && fromDeploy > 0) {
      const name = `deploy.resources.${group}.${key}`;
      const show = (n: number) => (n > 0 ? f.show(n) : `${n} (no limit)`);
      if (own !== undefined && own !== fromDeploy)
        ctx.warn(
          ownPath,
          `${f.key} ${show(own)} differs from ${name} ${show(fromDeploy)}, which docker compose applies: archy takes ${show(fromDeploy)}`,
        );
      pick = { n: fromDeploy, path: [...resPath, group, key], name };
    }
    if (pick) chosen.set(f.out, pick);
  }

  const pids = chosen.get("pids");
  if (pids && pids.n < 0)
    ctx.warn(
      pids.path,
      `${pids.name} ${pids.n} (no limit) cannot be expressed by archy: podman's own limit applies (pids_limit of containers.conf, 2048 as shipped)`,
      "value",
    );
  const limit = chosen.get("memory");
  const reserved = chosen.get("memory_reservation");
  if (limit && reserved && limit.n > 0 && reserved.n > limit.n) {
    ctx.invalid(
      reserved.path,
      `${reserved.name} ${sizeText(reserved.n)} is above the memory limit ${sizeText(limit.n)}: podman and docker refuse such a container`,
      "value",
    );
    chosen.delete("memory_reservation");
  }

  const out: ArchyResources = {};
  for (const f of FIELDS) {
    const c = chosen.get(f.out);
    if (!c || c.n <= 0) continue;
    if (f.out === "memory" || f.out === "memory_reservation") out[f.out] = sizeText(c.n);
    else out[f.out] = c.n;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
