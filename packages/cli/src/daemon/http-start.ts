import type { Server } from "node:http";
import type { ApiHandler } from "./api.js";
import { authority, pageUrl, type HttpAddress } from "./http-address.js";
import type { DashboardAsset } from "@archy/dashboard";
import { createHttpServer, listenHttp } from "./http.js";
import { ensureToken, TokenFile, tokenPath } from "./token.js";

/** What `GET /v1/daemon` says of the status page (`http`; null without `--http`). */
export interface HttpInfo {
  /** The page's address, without the token. */
  url: string;
  /** host:port as bound. */
  address: string;
  loopback: boolean;
}

/** The warning of a listener other machines can reach, or null on a loopback one. */
export function exposureWarning(address: HttpAddress, port: number): string | null {
  if (address.loopback) return null;
  return (
    `the status page listens on ${authority(address.host, port)}, which other machines can reach: ` +
    "anyone with its token controls the apps, and HTTP is not encrypted (put a TLS proxy in front, " +
    "or use 127.0.0.1 and an SSH tunnel)"
  );
}

/**
 * `archy daemon --http`: the token file (created when there is none), the
 * listener bound (or a CliError, exit 2), a warning in the log and on stderr
 * when it is not loopback. `api()` is the API's handler once the daemon has one.
 */
export async function startHttp(opts: {
  stateDir: string;
  address: HttpAddress;
  api: () => ApiHandler | null;
  assets: (path: string) => DashboardAsset | undefined;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Where the warning also goes when the log does not show on stderr (null: it does). */
  stderr: { write(text: string): unknown } | null;
}): Promise<{ server: Server; info: HttpInfo }> {
  await ensureToken(opts.stateDir);
  const server = createHttpServer({
    address: opts.address,
    tokens: new TokenFile(tokenPath(opts.stateDir)),
    api: opts.api,
    assets: opts.assets,
    log: opts.log,
  });
  const port = await listenHttp(server, opts.address);
  const info: HttpInfo = {
    url: pageUrl(opts.address, port),
    address: authority(opts.address.host, port),
    loopback: opts.address.loopback,
  };
  const warning = exposureWarning(opts.address, port);
  if (warning) {
    opts.log.warn({ address: info.address }, warning);
    opts.stderr?.write(`archy: warning: ${warning}\n`);
  }
  opts.log.info(
    { url: info.url, tokenFile: tokenPath(opts.stateDir) },
    `status page on ${info.url} (archy dashboard prints it with its token)`,
  );
  return { server, info };
}
