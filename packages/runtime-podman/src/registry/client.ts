// What a reference points to now, asked of its registry without pulling: a
// HEAD of the manifest endpoint (a GET, hashed, when the registry gives no
// Docker-Content-Digest), through basic or token auth with the credentials
// podman's auth file holds, honouring registries.conf (insecure: TLS not
// verified, then plain HTTP; blocked: refused).
import { createHash } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { RegistryError } from "../errors.js";
import { credentialsFor, readRegistriesConf, registryEntry, type Credentials } from "./config.js";
import { parseReference, registryEndpoint } from "./reference.js";

const ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RemoteDigestOptions {
  /** Where podman's configuration is found (CONTAINERS_REGISTRIES_CONF, REGISTRY_AUTH_FILE, HOME…). */
  env?: Record<string, string | undefined>;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

/** The digest `reference` points to in its registry now (`sha256:…`). */
export async function remoteDigest(
  reference: string,
  opts: RemoteDigestOptions = {},
): Promise<string> {
  const env = opts.env ?? process.env;
  const conf = await readRegistriesConf(env).catch((error: unknown) => {
    throw new RegistryError(reference, "protocol", (error as Error).message, { cause: error });
  });
  const ref = parseReference(reference, conf.unqualifiedSearch[0]);
  if (ref.registry === "localhost")
    throw new RegistryError(reference, "local", "a local image (localhost/…): no registry to ask");
  if (ref.digest !== null && ref.tag === null) return ref.digest;
  const entry = registryEntry(conf, ref.registry, ref.repository);
  if (entry?.blocked)
    throw new RegistryError(reference, "blocked", `${ref.registry} is blocked in registries.conf`);
  const creds = await credentialsFor(ref.registry, ref.repository, env).catch((error: unknown) => {
    throw new RegistryError(reference, "unauthorized", (error as Error).message, { cause: error });
  });
  const host = registryEndpoint(ref.registry);
  const path = `/v2/${ref.repository}/manifests/${ref.tag}`;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  // Insecure: HTTPS without verification first, then plain HTTP (as podman).
  const bases = entry?.insecure ? [`https://${host}`, `http://${host}`] : [`https://${host}`];
  let lastError: unknown;
  for (const base of bases) {
    try {
      return await digestAt(reference, base, path, creds, {
        insecure: entry?.insecure ?? false,
        timeoutMs,
      });
    } catch (error) {
      if (error instanceof RegistryError && error.problem !== "unreachable") throw error;
      lastError = error;
    }
  }
  throw lastError;
}

async function digestAt(
  reference: string,
  base: string,
  path: string,
  creds: Credentials | null,
  opts: { insecure: boolean; timeoutMs: number },
): Promise<string> {
  const ask = (method: "HEAD" | "GET", url: string, authorization?: string) =>
    send(reference, method, url, {
      headers: { accept: ACCEPT, ...(authorization ? { authorization } : {}) },
      ...opts,
    });
  let authorization: string | undefined;
  let answer = await ask("HEAD", base + path);
  if (answer.status === 401) {
    authorization = await authorize(reference, answer.headers["www-authenticate"], creds, opts);
    answer = await ask("HEAD", base + path, authorization);
  }
  if (answer.status === 200) {
    const digest = answer.headers["docker-content-digest"];
    if (typeof digest === "string" && digest.startsWith("sha256:")) return digest;
    const got = await ask("GET", base + path, authorization);
    if (got.status === 200) return `sha256:${createHash("sha256").update(got.body).digest("hex")}`;
    answer = got;
  }
  if (answer.status === 401 || answer.status === 403)
    throw new RegistryError(
      reference,
      "unauthorized",
      creds
        ? `the registry refused the credentials of ${creds.user} (from ${creds.file})`
        : "the registry wants credentials; podman login has stored none",
    );
  if (answer.status === 404)
    throw new RegistryError(reference, "not-found", "the registry does not know this reference");
  throw new RegistryError(reference, "protocol", `the registry answered HTTP ${answer.status}`);
}

/** The Authorization header a 401's challenge asks for: Basic, or a Bearer token from its realm. */
async function authorize(
  reference: string,
  challenge: string | undefined,
  creds: Credentials | null,
  opts: { insecure: boolean; timeoutMs: number },
): Promise<string | undefined> {
  const basic = creds
    ? `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString("base64")}`
    : undefined;
  const scheme = challenge?.split(" ", 1)[0]?.toLowerCase();
  if (scheme !== "bearer") return basic;
  const params = Object.fromEntries(
    [...challenge!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]),
  );
  if (!params.realm)
    throw new RegistryError(reference, "protocol", "a Bearer challenge without a realm");
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set("service", params.service);
  if (params.scope) url.searchParams.set("scope", params.scope);
  const got = await send(reference, "GET", url.toString(), {
    headers: basic ? { authorization: basic } : {},
    ...opts,
  });
  if (got.status === 401 || got.status === 403)
    throw new RegistryError(
      reference,
      "unauthorized",
      `the token service refused ${creds ? `the credentials of ${creds.user}` : "an anonymous token"}`,
    );
  let token: string | undefined;
  try {
    const doc = JSON.parse(got.body.toString("utf8")) as { token?: string; access_token?: string };
    token = doc.token ?? doc.access_token;
  } catch {
    token = undefined;
  }
  if (got.status !== 200 || !token)
    throw new RegistryError(reference, "protocol", `the token service answered HTTP ${got.status}`);
  return `Bearer ${token}`;
}

function send(
  reference: string,
  method: "HEAD" | "GET",
  url: string,
  opts: { headers: Record<string, string>; insecure: boolean; timeoutMs: number },
): Promise<Answer> {
  const request = url.startsWith("https:") ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: opts.headers,
        timeout: opts.timeoutMs,
        ...(url.startsWith("https:") && opts.insecure ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > 4 * 1024 * 1024) req.destroy(new Error("an answer over 4 MiB"));
          else chunks.push(c);
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on("error", (error) =>
      reject(
        new RegistryError(
          reference,
          "unreachable",
          `cannot reach ${new URL(url).host}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    req.end();
  });
}
