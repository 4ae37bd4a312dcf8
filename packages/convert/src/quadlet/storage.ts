// The volumes and the network of a container unit, for the podman it is
// written for. Pure.
//
// Named volumes and networks get their own `.volume` / `.network` unit
// (units.ts) when the target's Quadlet has VolumeName= / NetworkName=
// (podman 4.7): without them Quadlet names the volume `systemd-<name>`, not
// the one archy's containers used. An older target gets the name itself on
// the Volume= / Network= line, which podman passes as it is.
//
// Host paths: for a Volume= whose source is absolute, Quadlet also writes
// `RequiresMountsFor=<source>` into the service, copied as written. systemd
// splits that value at blanks, reads quotes and backslashes as quoting and
// leaves `$$` doubled, so a path with any of them became other paths (podman
// 5.4.2's generator and systemd 257's `systemd-analyze verify`: "path is not
// absolute, ignoring"). Such a mount is written as PodmanArgs=--volume=...
// instead, which Quadlet passes on without a RequiresMountsFor=, and archy
// writes the RequiresMountsFor= itself, quoted as systemd reads it
// (test/quadlet-paths.p5.test.ts proves both with the generator).
import type { AppManifest } from "@archy/reconciler";
import { ConvertError } from "../errors.js";
import { QUADLET_KEYS, type PodmanVersion } from "./keys.js";
import { quoteWord, rawValue } from "./syntax.js";
import { isNamedNetwork, isNamedVolume, networkUnitName, volumeUnitName } from "./units.js";
import { targetLacks } from "../target.js";

/** A key archy would use that the target podman lacks, and the name it was needed for. */
export interface Fallback {
  key: string;
  since: PodmanVersion;
  /** The volume, network or app it concerns. */
  name: string;
}

export interface StoragePlan {
  /** `[Container]` lines, in order. */
  lines: [key: string, value: string][];
  /** `[Unit] RequiresMountsFor=` values, written for systemd. */
  mountsFor: string[];
  /** Named volumes and networks that need their own unit. */
  volumes: string[];
  networks: string[];
  fallbacks: Fallback[];
}

/**
 * Whether Quadlet's copy of a host path into RequiresMountsFor= reads back
 * as the same path: no blank, quote, backslash or `$`. A `%` is fine (`%%`
 * in the unit, which systemd expands there too).
 */
export const generatorCopiesPath = (path: string) => !/[\s"'\\$]/.test(path);

/** One RequiresMountsFor= value: the path in double quotes, `\` and `"` escaped, `%` doubled. */
export const mountsForValue = (path: string) =>
  `"${path.replace(/[\\"]/g, "\\$&").replace(/%/g, "%%")}"`;

const VOLUME_NAME_SINCE = QUADLET_KEYS.Volume.VolumeName!;
const NETWORK_NAME_SINCE = QUADLET_KEYS.Network.NetworkName!;

/** The Volume=/Network= lines (or their fallbacks) of `app` for podman `target` (undefined: any). */
export function planStorage(app: AppManifest, target: PodmanVersion | undefined): StoragePlan {
  const c = app.container;
  const plan: StoragePlan = { lines: [], mountsFor: [], volumes: [], networks: [], fallbacks: [] };
  const volumeUnits = !targetLacks(target, VOLUME_NAME_SINCE);
  c.volumes.forEach((v, i) => {
    const field = `container.volumes[${i}]`;
    const rest = `:${v.target}${v.readOnly ? ":ro" : ""}`;
    if (isNamedVolume(v.source)) {
      if (volumeUnits) {
        if (!plan.volumes.includes(v.source)) plan.volumes.push(v.source);
        plan.lines.push([
          "Volume",
          rawValue(`${volumeUnitName(v.source)}${rest}`, "volume", field),
        ]);
      } else {
        plan.fallbacks.push({ key: "VolumeName", since: VOLUME_NAME_SINCE, name: v.source });
        plan.lines.push(["Volume", rawValue(`${v.source}${rest}`, "volume", field)]);
      }
    } else if (generatorCopiesPath(v.source)) {
      plan.lines.push(["Volume", rawValue(`${v.source}${rest}`, "volume", field)]);
    } else {
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(v.source))
        throw new ConvertError(
          "EUNSUPPORTED",
          `host path ${JSON.stringify(v.source)} holds a control character, which no unit line can hold`,
          { field },
        );
      plan.lines.push(["PodmanArgs", quoteWord(`--volume=${v.source}${rest}`)]);
      plan.mountsFor.push(mountsForValue(v.source));
    }
  });

  if (!isNamedNetwork(c.network)) plan.lines.push(["Network", rawValue(c.network, "network")]);
  else if (targetLacks(target, NETWORK_NAME_SINCE)) {
    plan.fallbacks.push({ key: "NetworkName", since: NETWORK_NAME_SINCE, name: c.network });
    plan.lines.push(["Network", rawValue(c.network, "network", "container.network")]);
  } else {
    plan.networks.push(c.network);
    plan.lines.push(["Network", rawValue(networkUnitName(c.network), "network")]);
  }
  return plan;
}
