import { isIP } from "node:net";
import { CliError, EXIT } from "../cli-error.js";

/** Where `archy daemon --http ADDR` listens. */
export interface HttpAddress {
  /** The address to bind: an IP literal or a host name (IPv6 without brackets). */
  host: string;
  port: number;
  /** Only this machine can connect (127.0.0.0/8, ::1, localhost). */
  loopback: boolean;
  /** Every address of the machine (0.0.0.0, ::). */
  wildcard: boolean;
}

const isLoopback = (host: string) =>
  host === "localhost" ||
  host === "::1" ||
  (isIP(host) === 4 && host.startsWith("127.")) ||
  /^::ffff:127\./i.test(host);

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * `--http ADDR`: `host:port`, `[ipv6]:port`, or `:port` / `port` (127.0.0.1).
 * Port 0 takes a free port (the daemon's `GET /v1/daemon` says which). A bad
 * address is bad usage (exit 2).
 */
export function parseHttpAddress(text: string): HttpAddress {
  const bad = (why: string) =>
    new CliError(
      `invalid --http ${text}: ${why} (expected host:port, [ipv6]:port or :port, such as 127.0.0.1:7777)`,
      EXIT.usage,
    );
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(text);
  if (!m && !/^\d+$/.test(text)) throw bad("no port");
  const bracketed = m?.[1];
  let host = (bracketed ?? m?.[2] ?? "").toLowerCase();
  const portText = m?.[3] ?? text;
  const port = Number(portText);
  if (!(port <= 65535 && portText.length <= 5)) throw bad("the port is 0 to 65535");
  if (host === "") host = "127.0.0.1";
  if (bracketed !== undefined && isIP(host) !== 6) throw bad(`${host} is not an IPv6 address`);
  if (bracketed === undefined && !isIP(host) && !HOST_NAME.test(host))
    throw bad(`${host} is not an address or host name`);
  return {
    host,
    port,
    loopback: isLoopback(host),
    wildcard: host === "0.0.0.0" || host === "::",
  };
}

/** `host:port` as in a URL (IPv6 in brackets). */
export function authority(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The status page's address for a listener on `address` (bound to `port`). */
export function pageUrl(address: HttpAddress, port: number): string {
  // On every address, this machine reaches it on its loopback one.
  const host = address.wildcard ? (address.host === "::" ? "::1" : "127.0.0.1") : address.host;
  return `http://${authority(host, port)}/`;
}

/**
 * The `Host` headers the listener answers (DNS rebinding defence): the
 * address it was given (and `localhost` on a loopback one) with its port, and
 * on every address (0.0.0.0, ::) any IP literal with its port. A host name
 * the owner did not give, such as an attacker's domain pointed at this
 * machine, is refused.
 */
export function hostAllowed(
  header: string | undefined,
  address: HttpAddress,
  port: number,
): boolean {
  if (!header) return false;
  // No port: the default one (80).
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/i.exec(header);
  if (!m || Number(m[3] ?? 80) !== port) return false;
  const host = (m[1] ?? m[2]!).toLowerCase();
  if (m[1] !== undefined && isIP(host) !== 6) return false;
  if (host === address.host) return true;
  if (address.loopback && (host === "localhost" || isLoopback(host))) return true;
  return address.wildcard && isIP(host) !== 0;
}
