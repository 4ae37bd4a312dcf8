// `ports:` in both syntaxes into archy's `[ip:]host:container[/proto]`.
// Short: "80", "8080:80", "127.0.0.1:8080:80", "[::1]:8080:80",
// "8080:80/udp"; long: { target, published, host_ip, protocol }. A port
// without a host port cannot be expressed (a warning); a range is refused.
import { isDict, warnOtherKeys, type MapContext } from "./context.js";
import type { ComposePath } from "./positions.js";
import { asText } from "./values.js";

interface Port {
  hostIp?: string;
  published?: string;
  target: string;
  protocol?: string;
}

/** `[[ip:]published:]target[/protocol]`, ranges included (refused later). */
const SHORT =
  /^(?:(?:(\[[0-9a-fA-F:.]*\]|[^:[\]]*):)?([0-9]*(?:-[0-9]+)?):)?([0-9]+(?:-[0-9]+)?)(?:\/([a-z]+))?$/;

function parseShort(spec: string): Port | null {
  const m = SHORT.exec(spec.trim());
  if (!m) return null;
  const hostIp = m[1]?.replace(/^\[|\]$/g, "");
  return {
    ...(hostIp ? { hostIp } : {}),
    ...(m[2] ? { published: m[2] } : {}),
    target: m[3]!,
    ...(m[4] ? { protocol: m[4] } : {}),
  };
}

function parseLong(ctx: MapContext, path: ComposePath, v: Record<string, unknown>): Port | null {
  warnOtherKeys(ctx, path, v, ["target", "published", "host_ip", "protocol", "mode"]);
  if (v.mode !== undefined && v.mode !== "ingress" && v.mode !== "host")
    ctx.warn([...path, "mode"], `archy cannot express port mode "${String(v.mode)}"`);
  const target = asText(v.target);
  if (target === undefined) return null;
  const published = asText(v.published);
  const hostIp = asText(v.host_ip);
  const protocol = asText(v.protocol);
  return {
    ...(hostIp ? { hostIp } : {}),
    ...(published ? { published } : {}),
    target,
    ...(protocol ? { protocol } : {}),
  };
}

const isPort = (s: string) => /^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 65535;

/** The service's ports in archy's form, warning or refusing what does not fit. */
export function mapPorts(ctx: MapContext, path: ComposePath, value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  value.forEach((item, i) => {
    const at = [...path, i];
    const text = asText(item);
    const port =
      text !== undefined ? parseShort(text) : isDict(item) ? parseLong(ctx, at, item) : null;
    if (!port) {
      ctx.invalid(
        at,
        `expected a port such as "8080:80", "127.0.0.1:8080:80/udp" or { target, published }`,
      );
      return;
    }
    if (port.target.includes("-") || port.published?.includes("-")) {
      ctx.unsupported(
        at,
        `port ranges are not supported by archy (${text ?? `${port.published ?? ""}:${port.target}`}): list each port on its own`,
      );
      return;
    }
    if (!isPort(port.target) || (port.published !== undefined && !isPort(port.published))) {
      ctx.invalid(at, "expected ports 1-65535");
      return;
    }
    const protocol = port.protocol ?? "tcp";
    if (protocol !== "tcp" && protocol !== "udp") {
      ctx.warn(
        at,
        `archy publishes tcp and udp ports only; this ${protocol} port is left out`,
        "value",
      );
      return;
    }
    if (port.published === undefined) {
      ctx.warn(
        at,
        `container port ${port.target} has no host port: archy publishes a port only on a given host port (compose would pick a random one); it is left out`,
        "value",
      );
      return;
    }
    const ip = port.hostIp
      ? port.hostIp.includes(":")
        ? `[${port.hostIp}]:`
        : `${port.hostIp}:`
      : "";
    out.push(`${ip}${port.published}:${port.target}${protocol === "udp" ? "/udp" : ""}`);
  });
  return out;
}
