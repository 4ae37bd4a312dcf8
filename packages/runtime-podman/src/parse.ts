import { PodmanOutputError } from "./errors.js";
import type {
  ImageInfo,
  ContainerEvent,
  ContainerState,
  ContainerStatus,
  HealthStatus,
  PortMapping,
} from "./types.js";

/**
 * Parsers for podman's JSON output. They accept the spellings of podman 4.x
 * and 5.x (and the docker-compatible ones podman sometimes emits): Names as
 * an array or a string, zero timestamps as Go's zero time or -62135596800,
 * health absent, `Health` or `Healthcheck`, state names old and new.
 */

type Json = Record<string, unknown>;

const GO_ZERO_UNIX = -62135596800;

/** Maps podman's (libpod's and docker's) state names onto archy's. */
export function normaliseState(raw: unknown): ContainerState {
  switch (String(raw ?? "").toLowerCase()) {
    case "running":
    case "up":
      return "running";
    case "exited":
    case "stopped":
    case "dead":
      return "exited";
    case "created":
    case "configured":
    case "initialized":
      return "created";
    case "paused":
      return "paused";
    case "stopping":
      return "stopping";
    case "removing":
      return "removing";
    default:
      return "unknown";
  }
}

export function normaliseHealth(raw: unknown): HealthStatus {
  switch (String(raw ?? "").toLowerCase()) {
    case "healthy":
      return "healthy";
    case "unhealthy":
      return "unhealthy";
    case "starting":
      return "starting";
    default:
      return null;
  }
}

/** A time that may be an ISO string, unix seconds, or a zero value; null for zero. */
export function normaliseTime(raw: unknown): string | null {
  if (typeof raw === "number") {
    if (raw <= 0 || raw === GO_ZERO_UNIX) return null;
    // Seconds, or nanoseconds in some event encodings.
    const ms = raw > 1e15 ? raw / 1e6 : raw * 1000;
    return new Date(ms).toISOString();
  }
  if (typeof raw === "string" && raw !== "") {
    if (raw.startsWith("0001-01-01")) return null;
    const t = Date.parse(raw);
    return Number.isNaN(t) ? null : new Date(t).toISOString();
  }
  return null;
}

function firstName(raw: unknown): string {
  const name = Array.isArray(raw) ? String(raw[0] ?? "") : String(raw ?? "");
  return name.replace(/^\//, "");
}

function stringRecord(raw: unknown): Record<string, string> {
  if (typeof raw !== "object" || raw === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Json)) out[k] = String(v);
  return out;
}

function intOrNull(raw: unknown): number | null {
  const n = typeof raw === "string" ? Number(raw) : raw;
  return typeof n === "number" && Number.isInteger(n) ? n : null;
}

/** `ps` Ports: podman's `[{host_ip, container_port, host_port, range, protocol}]`, or docker's `[{IP, PrivatePort, PublicPort, Type}]`. */
function psPorts(raw: unknown): PortMapping[] {
  if (!Array.isArray(raw)) return [];
  const out: PortMapping[] = [];
  for (const p of raw as Json[]) {
    const hostPort = intOrNull(p.host_port ?? p.hostPort ?? p.PublicPort);
    const containerPort = intOrNull(p.container_port ?? p.containerPort ?? p.PrivatePort);
    if (hostPort === null || containerPort === null) continue;
    const range = intOrNull(p.range) ?? 1;
    const hostIp = String(p.host_ip ?? p.hostIP ?? p.IP ?? "");
    const protocol = String(p.protocol ?? p.Type ?? "tcp") === "udp" ? "udp" : "tcp";
    for (let i = 0; i < Math.max(1, range); i++) {
      out.push({
        ...(hostIp && hostIp !== "0.0.0.0" ? { hostIp } : {}),
        hostPort: hostPort + i,
        containerPort: containerPort + i,
        protocol,
      });
    }
  }
  return out;
}

/** `inspect` NetworkSettings.Ports: `{"8080/tcp": [{HostIp, HostPort}]}`. */
function inspectPorts(raw: unknown): PortMapping[] {
  if (typeof raw !== "object" || raw === null) return [];
  const out: PortMapping[] = [];
  for (const [key, bindings] of Object.entries(raw as Json)) {
    const [port, proto] = key.split("/");
    const containerPort = Number(port);
    if (!Array.isArray(bindings)) continue;
    for (const b of bindings as Json[]) {
      const hostPort = Number(b.HostPort);
      if (!Number.isInteger(hostPort) || hostPort <= 0) continue;
      const hostIp = String(b.HostIp ?? "");
      out.push({
        ...(hostIp && hostIp !== "0.0.0.0" ? { hostIp } : {}),
        hostPort,
        containerPort,
        protocol: proto === "udp" ? "udp" : "tcp",
      });
    }
  }
  return out;
}

/** The health in a `ps` Status string: "Up 2 seconds (healthy)". */
function healthFromStatusText(raw: unknown): HealthStatus {
  const m = /\((healthy|unhealthy|starting)\)/.exec(String(raw ?? ""));
  return m ? normaliseHealth(m[1]) : null;
}

/**
 * podman's JSON list output: an array of objects, or `null` (Go's encoding of
 * an empty list). Anything else — nothing at all, output cut short, text that
 * is not JSON, entries without `required` keys — is PodmanOutputError: podman
 * 4.3.1 and 5 print `[]` for an empty list, so an empty output is a podman
 * that failed, never "no containers".
 */
function jsonArray(text: string, command: string, required: readonly string[][]): Json[] {
  const trimmed = text.trim();
  if (trimmed === "") throw new PodmanOutputError(command, "nothing (an empty list is [])");
  if (trimmed === "null") return [];
  let list: unknown;
  try {
    list = JSON.parse(trimmed);
  } catch (error) {
    throw new PodmanOutputError(command, `not JSON (${excerpt(trimmed)})`, { cause: error });
  }
  if (!Array.isArray(list)) throw new PodmanOutputError(command, "not a JSON array");
  for (const entry of list as unknown[]) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry))
      throw new PodmanOutputError(command, "an entry is not an object");
    const missing = required.find((keys) => keys.every((k) => !(k in entry)));
    if (missing) throw new PodmanOutputError(command, `an entry has no ${missing.join(" or ")}`);
  }
  return list as Json[];
}

const excerpt = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

export function parsePsJson(text: string): ContainerStatus[] {
  return jsonArray(text, "ps", [["Id", "ID"], ["Names", "Name"], ["State"]]).map((c) => {
    const state = normaliseState(c.State);
    const exited = state === "exited" || c.Exited === true;
    return {
      id: String(c.Id ?? c.ID ?? ""),
      name: firstName(c.Names ?? c.Name),
      image: String(c.Image ?? ""),
      imageId: c.ImageID || c.ImageId ? String(c.ImageID ?? c.ImageId) : null,
      state,
      health: normaliseHealth(c.Health) ?? healthFromStatusText(c.Status),
      exitCode: exited ? intOrNull(c.ExitCode) : null,
      startedAt: normaliseTime(c.StartedAt),
      finishedAt: exited ? normaliseTime(c.ExitedAt) : null,
      labels: stringRecord(c.Labels),
      ports: psPorts(c.Ports),
    };
  });
}

export function parseInspectJson(text: string): ContainerStatus[] {
  return jsonArray(text, "inspect", [["Id", "ID"], ["Name"], ["State"]]).map((c) => {
    const s = (c.State ?? {}) as Json;
    const config = (c.Config ?? {}) as Json;
    const health = (s.Health ?? s.Healthcheck ?? {}) as Json;
    const state = normaliseState(s.Status);
    const exited = state === "exited";
    return {
      id: String(c.Id ?? c.ID ?? ""),
      name: firstName(c.Name),
      image: String(c.ImageName ?? config.Image ?? c.Image ?? ""),
      imageId: c.Image ? String(c.Image) : null,
      state,
      health: normaliseHealth(health.Status),
      exitCode: exited ? intOrNull(s.ExitCode) : null,
      startedAt: normaliseTime(s.StartedAt),
      finishedAt: exited ? normaliseTime(s.FinishedAt) : null,
      labels: stringRecord(config.Labels),
      ports: inspectPorts(((c.NetworkSettings ?? {}) as Json).Ports),
      ...(exited ? { oomKilled: s.OOMKilled === true } : {}),
    };
  });
}

/**
 * One line of `podman events --format json`. Returns null for lines that are
 * not container events. Accepts podman's own shape and the docker-compatible
 * one (`Action`, `Actor.Attributes`, `timeNano`).
 */
export function parseEventLine(line: string): ContainerEvent | null {
  const trimmed = line.trim();
  if (trimmed === "") return null;
  let e: Json;
  try {
    e = JSON.parse(trimmed) as Json;
  } catch {
    return null;
  }
  const type = String(e.Type ?? e.type ?? "container").toLowerCase();
  if (type !== "container") return null;
  const actor = (e.Actor ?? {}) as Json;
  const attributes = stringRecord(e.Attributes ?? actor.Attributes);
  const status = String(e.Status ?? e.status ?? e.Action ?? "");
  const exitRaw = e.ContainerExitCode ?? attributes.containerExitCode;
  // timeNano first: podman 5 gives `Time` in whole seconds beside it.
  const time = normaliseTime(e.timeNano ?? e.Time ?? e.time) ?? new Date().toISOString();
  const labels = { ...attributes };
  for (const k of ["containerExitCode", "image", "name", "health_status", "podId"])
    delete labels[k];
  return {
    time,
    id: String(e.ID ?? e.id ?? actor.ID ?? ""),
    name: String(e.Name ?? attributes.name ?? ""),
    status,
    exitCode: status === "died" ? intOrNull(exitRaw) : null,
    health: normaliseHealth(e.health_status ?? e.HealthStatus ?? attributes.health_status),
    labels,
  };
}

/** `podman images --format json`: Names may be null (dangling) or come as docker's RepoTags. */
export function parseImagesJson(text: string): ImageInfo[] {
  return jsonArray(text, "images", [["Id", "ID"]]).map((i) => {
    const names = Array.isArray(i.Names) ? i.Names : Array.isArray(i.RepoTags) ? i.RepoTags : [];
    return {
      id: String(i.Id ?? i.ID ?? "").replace(/^sha256:/, ""),
      names: (names as unknown[]).map(String).filter((n) => n !== "<none>:<none>"),
      digests: Array.isArray(i.RepoDigests) ? (i.RepoDigests as unknown[]).map(String) : [],
      digest: typeof i.Digest === "string" && i.Digest.startsWith("sha256:") ? i.Digest : null,
    };
  });
}
