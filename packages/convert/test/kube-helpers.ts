// Helpers of the kube play integration test: images made of host binaries
// (there is no registry here) and a DNS-enabled network of the store's own.
import { execFileSync } from "node:child_process";
import { cp, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { PodmanStore } from "@archy/test-utils";

/** `binary` and the shared libraries `ldd` names for it, copied under `rootfs` at the same paths. */
async function copyWithLibraries(binary: string, rootfs: string): Promise<void> {
  const libs = execFileSync("ldd", [binary], { encoding: "utf8" })
    .split("\n")
    .map((l) => /(\/\S+)/.exec(l)?.[1])
    .filter((p): p is string => p !== undefined);
  for (const file of [binary, ...libs]) {
    await mkdir(join(rootfs, dirname(file)), { recursive: true });
    await cp(file, join(rootfs, file), { dereference: true });
  }
}

/**
 * Builds `tag` as `from` (or scratch) plus the host's dynamically linked
 * `binaries` with their libraries, and busybox `applets` (symlinks to a copy
 * of the static /bin/busybox). Debian's static busybox cannot resolve host
 * names (its static glibc crashes loading NSS), so tools that must resolve
 * pod names come from the host instead.
 */
export async function buildHostToolsImage(
  store: PodmanStore,
  tag: string,
  opts: { from?: string; binaries: string[]; applets?: string[]; sh?: string },
): Promise<void> {
  const ctx = join(store.dir, "contexts", tag.replace(/[^a-z0-9]+/g, "-"));
  const rootfs = join(ctx, "rootfs");
  await mkdir(join(rootfs, "bin"), { recursive: true });
  await mkdir(join(rootfs, "etc"), { recursive: true });
  for (const b of opts.binaries) await copyWithLibraries(b, rootfs);
  if (opts.applets?.length) {
    await cp("/bin/busybox", join(rootfs, "bin", "busybox"));
    for (const a of opts.applets) await symlink("busybox", join(rootfs, "bin", a));
  }
  if (opts.sh) await symlink(opts.sh, join(rootfs, "bin", "sh"));
  await writeFile(join(rootfs, "etc", "nsswitch.conf"), "hosts: files dns\n");
  await writeFile(join(ctx, "Containerfile"), `FROM ${opts.from ?? "scratch"}\nCOPY rootfs/ /\n`);
  await store.podman(["build", "--quiet", "--tag", tag, ctx], { timeoutMs: 120_000 });
}

/**
 * A bridge network with DNS in the store's own config folder, on a bridge
 * name and subnet derived from the store's slot (`archyt<slot>` →
 * `archyk<slot>`, 10.91.<slot>.0/24), so it never meets another store's.
 * podman 4.3 `network create` has no --interface-name, hence the file. Pods
 * on it resolve each other's names, as on kube play's default network.
 */
export async function createDnsNetwork(store: PodmanStore): Promise<string> {
  const own = JSON.parse(await readFile(join(store.dir, "networks", "podman.json"), "utf8")) as {
    network_interface: string;
  };
  const slot = /^archyt(\d+)$/.exec(own.network_interface)?.[1];
  if (slot === undefined) throw new Error(`unexpected bridge ${own.network_interface}`);
  const name = `archykube-${store.runId}`;
  await writeFile(
    join(store.dir, "networks", `${name}.json`),
    JSON.stringify({
      name,
      id: `${store.runId}${"0".repeat(64 - store.runId.length)}`,
      driver: "bridge",
      network_interface: `archyk${slot}`,
      created: new Date().toISOString(),
      subnets: [{ subnet: `10.91.${slot}.0/24`, gateway: `10.91.${slot}.1` }],
      ipv6_enabled: false,
      internal: false,
      dns_enabled: true,
      ipam_options: { driver: "host-local" },
    }),
  );
  return name;
}

/** podman's version as [major, minor]. */
export function podmanVersion(version: string | null): [number, number] {
  const m = /(\d+)\.(\d+)/.exec(version ?? "");
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}
