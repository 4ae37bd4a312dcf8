// Does a generated service run the container archy means? The comparison
// rule, word for word (README "Quadlet out", "Checked by podman's generator"):
//
// MEANT = runtime-podman's createArgs(toContainerSpec(app)), the podman
// arguments archy's own runtime creates the app's container with, plus what
// archy does around them, which the unit must do itself:
//   - `--health-interval` is the manifest's interval (archy passes `disable`
//     and runs the checks itself; under systemd podman's timer runs them),
//     `--health-on-failure=kill` is added (archy restarts an unhealthy
//     container; killing it hands it to the unit's Restart=), and the health
//     durations are the manifest's exact values (the runtime rounds them to
//     whole seconds);
//   - `--pull=<policy>` unless the policy is `missing` (archy pulls before
//     it creates; `missing` is podman's default).
// RAN = the generated ExecStart=, split as systemd splits it (systemd-exec.ts),
// which must be one command, `/usr/bin/podman run`, then:
//   - Quadlet's own flags are taken out, each required exactly once with
//     exactly this value: `--cidfile=%t/%N.cid`, `--replace`, `--rm`,
//     `--cgroups=split`, `--sdnotify=conmon`, `-d`;
//   - `--env-file F` is replaced by the `--env` entries of F, read as podman
//     reads an env file (archy's env file of secret values).
// Both are parsed with podman run's own flag grammar (a flag's value joined
// by `=` or as the next word; short aliases `-v`, `-e`, `-p`, `-l`, `-u`,
// `-d`; an unknown flag fails the comparison) and then compared:
//   - the image: equal;
//   - every word after it (the command): equal, in order, as a sequence;
//   - the flags: equal as multisets of (flag, value) pairs, values compared
//     exactly except `--cap-add`/`--cap-drop` (podman takes them in any case,
//     with or without `CAP_`: upper case, prefix removed), the health
//     durations (Go durations, compared in milliseconds) and the memory sizes
//     (`--memory`, `--memory-reservation`: the unit writes `1536m` where the
//     runtime passes `1610612736b`; compared in bytes, as podman reads them).
// Order between flags is not compared: none of those archy uses depends on
// it (env keys and mounts are unique, caps are sets in podman).
import type { AppManifest } from "@archy/reconciler";
import { toContainerSpec } from "@archy/reconciler";
import { createArgs } from "../../runtime-podman/src/args.js";

const VALUE_FLAGS = new Set(
  `add-host annotation arch attach authfile blkio-weight blkio-weight-device cap-add cap-drop cgroup-conf
  cgroup-parent cgroupns cgroups chrootdirs cidfile conmon-pidfile cpu-period cpu-quota cpu-rt-period
  cpu-rt-runtime cpu-shares cpus cpuset-cpus cpuset-mems decryption-key detach-keys device
  device-cgroup-rule device-read-bps device-read-iops device-write-bps device-write-iops dns dns-option
  dns-search entrypoint env env-file env-merge expose gidmap gpus group-add group-entry health-cmd
  health-interval health-log-destination health-max-log-count health-max-log-size health-on-failure
  health-retries health-start-period health-startup-cmd health-startup-interval health-startup-retries
  health-startup-success health-startup-timeout health-timeout hostname hosts-file hostuser image-volume
  init-path ip ip6 ipc label label-file log-driver log-opt mac-address memory memory-reservation
  memory-swap memory-swappiness mount name network network-alias oom-score-adj os passwd-entry
  personality pid pidfile pids-limit platform pod pod-id-file preserve-fd preserve-fds publish pull
  rdt-class requires restart retry retry-delay sdnotify seccomp-policy secret security-opt shm-size
  shm-size-systemd stop-signal stop-timeout subgidname subuidname sysctl systemd timeout tmpfs tz uidmap
  ulimit umask unsetenv user userns uts variant volume volumes-from workdir`.split(/\s+/),
);
const BOOL_FLAGS = new Set(
  `detach disable-content-trust env-host http-proxy init interactive no-healthcheck no-hostname no-hosts
  oom-kill-disable passwd privileged publish-all quiet read-only read-only-tmpfs replace rm rmi rootfs
  sig-proxy tls-verify tty unsetenv-all`.split(/\s+/),
);
const SHORT: Record<string, string> = {
  a: "attach",
  c: "cpu-shares",
  d: "detach",
  e: "env",
  h: "hostname",
  i: "interactive",
  l: "label",
  m: "memory",
  p: "publish",
  P: "publish-all",
  q: "quiet",
  t: "tty",
  u: "user",
  v: "volume",
  w: "workdir",
};

export type Flag = [name: string, value: string | true];

export interface RunArgs {
  flags: Flag[];
  image: string;
  command: string[];
}

/** The flags, image and command of `podman run|create` arguments (after the subcommand). */
export function parseRunArgs(args: readonly string[]): RunArgs {
  const flags: Flag[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") break;
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(a)!;
    const name = a.startsWith("--") ? m[1]! : SHORT[m[1]!];
    if (name === undefined || (!VALUE_FLAGS.has(name) && !BOOL_FLAGS.has(name)))
      throw new Error(`podman run has no flag ${a}`);
    if (BOOL_FLAGS.has(name)) flags.push([name, m[2] ?? true]);
    else if (m[2] !== undefined) flags.push([name, m[2]]);
    else if (i + 1 < args.length) flags.push([name, args[++i]!]);
    else throw new Error(`${a} without a value`);
  }
  if (i >= args.length) throw new Error("no image");
  return { flags, image: args[i]!, command: args.slice(i + 1) };
}

/** A Go duration (`1m30s`, `500ms`, `2s`) in milliseconds. */
export function goDurationMs(text: string): number {
  const units: Record<string, number> = {
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    us: 0.001,
    ns: 1e-6,
  };
  let total = 0;
  const rest = text.replace(/(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g, (_, n: string, u: string) => {
    total += Number(n) * units[u]!;
    return "";
  });
  if (rest !== "" || text === "") throw new Error(`not a Go duration: ${text}`);
  return total;
}

const DURATIONS = new Set(["health-interval", "health-timeout", "health-start-period"]);

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A podman size (`512m`, `1g`, `1000b`, `1000`) in bytes, 1024-based as podman reads it. */
export function podmanSizeBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([bkmg])?$/i.exec(text);
  if (!m) throw new Error(`not a podman size: ${text}`);
  return Math.floor(Number(m[1]) * SIZE_UNITS[(m[2] ?? "b").toLowerCase()]!);
}

const SIZES = new Set(["memory", "memory-reservation"]);

function normalise([name, value]: Flag): string {
  if (value === true) return `--${name}`;
  if (name === "cap-add" || name === "cap-drop")
    return `--${name}=${value.toUpperCase().replace(/^CAP_/, "")}`;
  if (DURATIONS.has(name)) return `--${name}=${goDurationMs(value)}ms`;
  if (SIZES.has(name)) return `--${name}=${podmanSizeBytes(value)}b`;
  return `--${name}=${value}`;
}

/** What archy means the container to be (see the rule above). */
export function meantRun(app: AppManifest): RunArgs {
  const meant = parseRunArgs(createArgs(toContainerSpec(app)).slice(1));
  const hc = app.container.healthcheck;
  const flags = meant.flags.filter(([name]) => !DURATIONS.has(name));
  if (hc?.kind === "cmd")
    flags.push(
      ["health-interval", `${hc.intervalMs}ms`],
      ["health-timeout", `${hc.timeoutMs}ms`],
      ["health-start-period", `${hc.startPeriodMs}ms`],
      ["health-on-failure", "kill"],
    );
  if (app.container.pull !== "missing") flags.push(["pull", app.container.pull]);
  return { ...meant, flags };
}

/** Quadlet's own flags of every container service, each required once with this value. */
export const QUADLET_OWN = [
  "--cidfile=%t/%N.cid",
  "--replace",
  "--rm",
  "--cgroups=split",
  "--sdnotify=conmon",
  "--detach",
];

/** podman's reading of an env file: `NAME=value` per line, the value to the end of it. */
export function readEnvFile(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.replace(/^[ \t\n\r\f\v]+/, ""))
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/**
 * The differences between what archy means and what an ExecStart= argv runs
 * (empty when they agree). `cidfile` is `%t/%N.cid` expanded for this unit;
 * `envFiles` maps each env file path to its text.
 */
export function compareRun(
  app: AppManifest,
  argv: readonly string[],
  opts: { cidfile: string; envFiles: ReadonlyMap<string, string> },
): string[] {
  const diffs: string[] = [];
  if (argv[0] !== "/usr/bin/podman" || argv[1] !== "run")
    return [`not podman run: ${JSON.stringify(argv.slice(0, 2))}`];
  const ran = parseRunArgs(argv.slice(2));
  const meant = meantRun(app);
  const own = QUADLET_OWN.map((f) => f.replace("%t/%N.cid", opts.cidfile));
  let flags = ran.flags.map(normalise);
  for (const f of own) {
    const n = flags.filter((x) => x === f).length;
    if (n !== 1) diffs.push(`Quadlet's ${f} appears ${n} times`);
    flags = flags.filter((x) => x !== f);
  }
  flags = flags.flatMap((f) => {
    if (!f.startsWith("--env-file=")) return [f];
    const text = opts.envFiles.get(f.slice("--env-file=".length));
    if (text === undefined) return [`${f} (not an env file of the export)`];
    return readEnvFile(text).map((kv) => `--env=${kv}`);
  });
  const want = meant.flags.map(normalise);
  const missing = [...want];
  const extra: string[] = [];
  for (const f of flags) {
    const at = missing.indexOf(f);
    if (at >= 0) missing.splice(at, 1);
    else extra.push(f);
  }
  for (const f of missing) diffs.push(`missing ${JSON.stringify(f)}`);
  for (const f of extra) diffs.push(`extra ${JSON.stringify(f)}`);
  if (ran.image !== meant.image) diffs.push(`image ${ran.image}, meant ${meant.image}`);
  if (JSON.stringify(ran.command) !== JSON.stringify(meant.command))
    diffs.push(`command ${JSON.stringify(ran.command)}, meant ${JSON.stringify(meant.command)}`);
  return diffs;
}
