import type { ContainerSpec, PortMapping } from "./types.js";

const seconds = (ms: number) => `${Math.max(1, Math.round(ms / 1000))}s`;

export function portArg(p: PortMapping): string {
  const host = p.hostIp ? (p.hostIp.includes(":") ? `[${p.hostIp}]:` : `${p.hostIp}:`) : "";
  return `${host}${p.hostPort}:${p.containerPort}/${p.protocol}`;
}

/**
 * The arguments of `podman create` for a spec (validated beforehand), or of
 * `podman run --detach` with `"run"`: the same container either way. Every
 * value is a separate argument or joined to its flag with '=', so nothing a
 * manifest says can become another flag.
 */
export function createArgs(spec: ContainerSpec, command: "create" | "run" = "create"): string[] {
  const args = command === "run" ? ["run", "--detach"] : ["create"];
  args.push(`--name=${spec.name}`);
  for (const [k, v] of Object.entries(spec.labels ?? {})) args.push(`--label=${k}=${v}`);
  for (const [k, v] of Object.entries(spec.env ?? {})) args.push(`--env=${k}=${v}`);
  for (const p of spec.ports ?? []) args.push(`--publish=${portArg(p)}`);
  for (const v of spec.volumes ?? [])
    args.push(`--volume=${v.source}:${v.target}${v.readOnly ? ":ro" : ""}`);
  if (spec.network) args.push(`--network=${spec.network}`);
  for (const a of spec.networkAliases ?? []) args.push(`--network-alias=${a}`);
  if (spec.user) args.push(`--user=${spec.user}`);
  for (const c of spec.capAdd ?? []) args.push(`--cap-add=${c}`);
  for (const c of spec.capDrop ?? []) args.push(`--cap-drop=${c}`);
  if (spec.readOnly) args.push("--read-only");
  if (spec.stopTimeout !== undefined) args.push(`--stop-timeout=${spec.stopTimeout}`);
  if (spec.stopSignal) args.push(`--stop-signal=${spec.stopSignal}`);
  if (spec.entrypoint) args.push(`--entrypoint=${JSON.stringify(spec.entrypoint)}`);
  const r = spec.resources;
  if (r?.memoryBytes !== undefined) args.push(`--memory=${r.memoryBytes}b`);
  if (r?.memoryReservationBytes !== undefined)
    args.push(`--memory-reservation=${r.memoryReservationBytes}b`);
  if (r?.cpus !== undefined) args.push(`--cpus=${r.cpus}`);
  if (r?.pids !== undefined) args.push(`--pids-limit=${r.pids}`);
  const hc = spec.healthcheck;
  if (hc) {
    args.push(`--health-cmd=${JSON.stringify(hc.cmd)}`);
    // archy runs the checks itself; podman's timer needs systemd.
    args.push("--health-interval=disable");
    if (hc.timeoutMs !== undefined) args.push(`--health-timeout=${seconds(hc.timeoutMs)}`);
    if (hc.retries !== undefined) args.push(`--health-retries=${hc.retries}`);
    if (hc.startPeriodMs !== undefined)
      args.push(`--health-start-period=${seconds(hc.startPeriodMs)}`);
  }
  // Everything after "--" is the image and its command, never a podman flag.
  args.push("--", spec.image, ...(spec.command ?? []));
  return args;
}
