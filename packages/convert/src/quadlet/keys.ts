// Which Quadlet keys each podman release understands, per section of a unit
// file, and how Quadlet reads the value of each key archy writes.
//
// Sources, read at the tags v4.4.0, v4.5.0, ... v5.8.0 of containers/podman:
// the `supported{Container,Volume,Network}Keys` maps (from v5.6.0 the
// `groupsInfo[...].SupportedKeys` maps) of pkg/systemd/quadlet/quadlet.go,
// which are what Quadlet accepts (any other key fails the unit with
// "unsupported key"), checked against the key headings of
// docs/source/markdown/podman-systemd.unit.5.md at the same tags. The two
// agree except for keys the generator accepts that the manual leaves out:
// the deprecated RemapUsers/RemapUid/RemapGid/RemapUidSize (UserNS replaced
// them in 4.5), VolatileTmp (out of the manual from 4.8), Mask/Unmask
// (accepted from 4.6, documented from 5.0) and ServiceName (accepted in all
// three sections from 5.3, documented for pods only up to 5.8). A key's version
// is the first x.y.0 release that accepts it; no key has been removed since.

/** The sections Quadlet itself reads; [Unit], [Service] and [Install] are systemd's. */
export type QuadletSection = "Container" | "Volume" | "Network";

/** A podman release, `major.minor`. */
export type PodmanVersion = `${number}.${number}`;

/** Quadlet arrived in podman 4.4: the oldest version a unit can need. */
export const QUADLET_SINCE: PodmanVersion = "4.4";

const byRelease = {
  Container: {
    "4.4":
      "AddCapability AddDevice Annotation ContainerName DropCapability Environment EnvironmentFile EnvironmentHost Exec ExposeHostPort Group Image Label Network NoNewPrivileges Notify PodmanArgs PublishPort ReadOnly RemapGid RemapUid RemapUidSize RemapUsers RunInit SeccompProfile Timezone User VolatileTmp Volume",
    "4.5":
      "HealthCmd HealthInterval HealthOnFailure HealthRetries HealthStartPeriod HealthStartupCmd HealthStartupInterval HealthStartupRetries HealthStartupSuccess HealthStartupTimeout HealthTimeout IP IP6 LogDriver Mount Rootfs Secret SecurityLabelDisable SecurityLabelFileType SecurityLabelLevel SecurityLabelType Tmpfs UserNS",
    "4.6": "AutoUpdate HostName Mask Pull SecurityLabelNested Sysctl Unmask WorkingDir",
    "4.7": "DNS DNSOption DNSSearch PidsLimit ShmSize Ulimit",
    "4.8": "ContainersConfModule GIDMap GlobalArgs ReadOnlyTmpfs SubGIDMap SubUIDMap UIDMap",
    "5.0": "Entrypoint Pod StopTimeout",
    "5.1": "GroupAdd",
    "5.2": "LogOpt NetworkAlias StopSignal",
    "5.3":
      "AddHost CgroupsMode HealthLogDestination HealthMaxLogCount HealthMaxLogSize ServiceName StartWithPod",
    "5.5": "Memory ReloadCmd ReloadSignal Retry RetryDelay",
    "5.7": "HttpProxy",
    "5.8": "AppArmor",
  },
  Volume: {
    "4.4": "Copy Device Group Label Options Type User",
    "4.6": "PodmanArgs",
    "4.7": "VolumeName",
    "4.8": "ContainersConfModule Driver GlobalArgs Image",
    "5.3": "ServiceName",
  },
  Network: {
    "4.4": "DisableDNS Driver Gateway IPAMDriver IPRange IPv6 Internal Label Options Subnet",
    "4.6": "PodmanArgs",
    "4.7": "DNS NetworkName",
    "4.8": "ContainersConfModule GlobalArgs",
    "5.3": "ServiceName",
    "5.5": "NetworkDeleteOnStop",
    "5.6": "InterfaceName",
  },
} satisfies Record<QuadletSection, Record<PodmanVersion, string>>;

/**
 * Every key of the [Container], [Volume] and [Network] sections of a Quadlet
 * unit (podman 4.4 to 5.8), with the podman release that introduced it.
 */
export const QUADLET_KEYS: Readonly<
  Record<QuadletSection, Readonly<Record<string, PodmanVersion>>>
> = Object.fromEntries(
  Object.entries(byRelease).map(([section, releases]) => [
    section,
    Object.fromEntries(
      Object.entries(releases).flatMap(([version, keys]) =>
        keys.split(" ").map((key) => [key, version as PodmanVersion]),
      ),
    ),
  ]),
) as Record<QuadletSection, Record<string, PodmanVersion>>;

/**
 * The systemd keys archy writes in the sections Quadlet copies into the
 * generated service unchanged (any Quadlet version).
 */
export const SYSTEMD_KEYS: Readonly<Record<"Unit" | "Service" | "Install", readonly string[]>> = {
  Unit: ["Description", "Wants", "Requires", "After", "RequiresMountsFor"],
  Service: ["Restart", "RestartSec", "TimeoutStopSec"],
  Install: ["WantedBy"],
};

/**
 * How Quadlet reads a value (pkg/systemd/parser/unitfile.go), which decides
 * how archy must write it:
 * - `raw`: `Lookup`/`LookupAll`, the text as written (no quotes, no escapes),
 *   later a single podman argument;
 * - `words`: `LookupAllArgs`/`LookupLastArgs`/`LookupAllKeyVal`, split at
 *   blanks outside quotes with C escapes, like systemd's ExecStart=;
 * - `strv`: `LookupAllStrv`, words with quotes but no C escapes;
 * - `bool`, `number`: one token.
 * Every value that ends up on podman's command line also passes systemd's
 * ExecStart= expansion, so `%` and `$` are doubled in all of them.
 */
export type ValueSyntax = "raw" | "words" | "strv" | "bool" | "number";

/** The syntax of each Quadlet key archy writes (as in podman 4.4 to 5.8). */
export const KEY_SYNTAX: Readonly<Record<string, ValueSyntax>> = {
  ContainerName: "raw",
  Image: "raw",
  Exec: "words",
  Environment: "words",
  EnvironmentFile: "words",
  PublishPort: "raw",
  Volume: "raw",
  Network: "raw",
  Label: "words",
  User: "number",
  Group: "number",
  AddCapability: "strv",
  DropCapability: "strv",
  PodmanArgs: "words",
  HealthCmd: "raw",
  HealthInterval: "raw",
  HealthTimeout: "raw",
  HealthRetries: "raw",
  HealthStartPeriod: "raw",
  HealthOnFailure: "raw",
  VolumeName: "raw",
  NetworkName: "raw",
};

/** Negative, zero or positive as `a` is older, the same or newer than `b`. */
export function compareVersions(a: PodmanVersion, b: PodmanVersion): number {
  const [amaj = 0, amin = 0] = a.split(".").map(Number);
  const [bmaj = 0, bmin = 0] = b.split(".").map(Number);
  return amaj - bmaj || amin - bmin;
}
