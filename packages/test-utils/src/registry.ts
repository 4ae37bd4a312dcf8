// A real image registry for tests: Debian's docker-registry (the CNCF
// distribution registry) on 127.0.0.1, with a storage folder of its own and,
// when asked, basic auth (htpasswd, bcrypt). Its registries.conf marks it
// insecure (plain HTTP) the way an owner would, so podman and archy both read
// the same configuration; `env` carries it (and an auth file of its own).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { execa } from "execa";
import type { PodmanStore } from "./podman-store.js";
import { freePort, waitFor } from "./temp.js";

export const REGISTRY_BIN = "/usr/bin/docker-registry";

export interface TestRegistry {
  /** `127.0.0.1:PORT`: the prefix of every reference in it. */
  host: string;
  /** `CONTAINERS_REGISTRIES_CONF` (it is insecure: plain HTTP) and `REGISTRY_AUTH_FILE` (empty until a login). */
  env: Record<string, string>;
  /** The credentials it demands; null when it is open. */
  auth: { user: string; password: string } | null;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

export async function startRegistry(
  opts: { auth?: { user: string; password: string } } = {},
): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "archy-registry-"));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  await mkdir(join(dir, "storage"));
  const auth = opts.auth
    ? `auth:\n  htpasswd:\n    realm: archy-test\n    path: ${join(dir, "htpasswd")}\n`
    : "";
  if (opts.auth)
    await writeFile(
      join(dir, "htpasswd"),
      `${opts.auth.user}:${bcrypt.hashSync(opts.auth.password, 5)}\n`,
    );
  await writeFile(
    join(dir, "config.yml"),
    `version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: ${join(dir, "storage")} }
  delete: { enabled: true }
http:
  addr: ${host}
${auth}`,
  );
  await writeFile(
    join(dir, "registries.conf"),
    `# archy's test registry: plain HTTP on loopback.\n[[registry]]\nlocation = "${host}"\ninsecure = true\n`,
  );
  await writeFile(join(dir, "auth.json"), `{"auths":{}}\n`);
  const child: ChildProcess = spawn(REGISTRY_BIN, ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
        const r = await fetch(`http://${host}/v2/`).catch(() => null);
        return r !== null && (r.status === 200 || r.status === 401);
      },
      { timeoutMs: 15_000, intervalMs: 50, what: `docker-registry on ${host}` },
    );
  } catch (error) {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host,
    env: {
      CONTAINERS_REGISTRIES_CONF: join(dir, "registries.conf"),
      REGISTRY_AUTH_FILE: join(dir, "auth.json"),
    },
    auth: opts.auth ?? null,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let pushes = 0;

/**
 * Builds the busybox test image plus `extra` Containerfile lines under a
 * local tag of its own and pushes it to `registry` as `ref` (with the
 * registry's credentials when it has some); returns the digest pushed. The
 * store never sees `ref` move: only archy's own pulls move it there.
 */
export async function pushTestImage(
  store: PodmanStore,
  registry: TestRegistry,
  ref: string,
  opts: { name: string; extra: string },
): Promise<string> {
  // Unique per push: the same name may be pushed twice (two updates in one torture round).
  const unique = `${opts.name}-${++pushes}`;
  const local = `localhost/build-${unique}:1`;
  const ctx = await store.imageContext(`push-${unique}`, opts.extra);
  await store.podman(["build", "--quiet", "--tag", local, ctx]);
  const digestFile = join(store.dir, `digest-${unique}`);
  const creds = registry.auth ? ["--creds", `${registry.auth.user}:${registry.auth.password}`] : [];
  await execa(
    "podman",
    [...store.globalArgs, "push", ...creds, "--digestfile", digestFile, local, ref],
    {
      env: { ...store.env, ...registry.env },
    },
  );
  await store.podman(["rmi", local]);
  return (await readFile(digestFile, "utf8")).trim();
}
