// The oldest podman whose Quadlet understands every key a set of units uses.
import {
  compareVersions,
  QUADLET_KEYS,
  QUADLET_SINCE,
  SYSTEMD_KEYS,
  type PodmanVersion,
  type QuadletSection,
} from "./keys.js";
import type { ParsedUnit } from "./parse.js";

/** One key used in one section of one unit file. */
export interface KeyUse {
  section: string;
  key: string;
  /** The unit file it is in, when not the one at hand. */
  file?: string;
}

export interface MinPodman {
  version: PodmanVersion;
  /** The keys that need exactly `version` (none when it is 4.4, Quadlet itself). */
  because: KeyUse[];
}

const isQuadletSection = (s: string): s is QuadletSection => Object.hasOwn(QUADLET_KEYS, s);

/**
 * The podman version that introduced `key` in `section`: 4.4 for the systemd
 * keys archy writes in [Unit], [Service] and [Install] (Quadlet copies them),
 * undefined for a key no Quadlet knows.
 */
export function keySince(section: string, key: string): PodmanVersion | undefined {
  if (isQuadletSection(section))
    return Object.hasOwn(QUADLET_KEYS[section], key) ? QUADLET_KEYS[section][key] : undefined;
  if (!Object.hasOwn(SYSTEMD_KEYS, section)) return undefined;
  return SYSTEMD_KEYS[section as keyof typeof SYSTEMD_KEYS].includes(key)
    ? QUADLET_SINCE
    : undefined;
}

/** The oldest podman for these keys; throws a TypeError for a key no Quadlet knows. */
export function minPodmanFor(uses: readonly KeyUse[]): MinPodman {
  let version = QUADLET_SINCE;
  let because: KeyUse[] = [];
  for (const use of uses) {
    const since = keySince(use.section, use.key);
    if (since === undefined)
      throw new TypeError(
        `[${use.section}] ${use.key}= is not a key archy knows Quadlet to accept`,
      );
    const order = compareVersions(since, version);
    if (order > 0) [version, because] = [since, []];
    if (order >= 0 && since !== QUADLET_SINCE) because.push(use);
  }
  const seen = new Set<string>();
  because = because.filter((u) => {
    const id = `${u.file ?? ""}[${u.section}]${u.key}`;
    return !seen.has(id) && seen.add(id);
  });
  return { version, because };
}

/** Every key of a parsed unit, as key uses. */
export const keyUses = (unit: ParsedUnit, file?: string): KeyUse[] =>
  unit.sections.flatMap((s) =>
    s.entries.map((e) => ({ section: s.name, key: e.key, ...(file ? { file } : {}) })),
  );

/** The header line stating the version: `# Needs podman 4.5 or newer ...`. */
export function versionLine(min: MinPodman): string {
  if (min.because.length === 0)
    return `# Needs podman ${min.version} or newer (the first with Quadlet).`;
  const files = new Map<string, string[]>();
  for (const u of min.because) {
    const list = files.get(u.key) ?? [];
    if (u.file && !list.includes(u.file)) list.push(u.file);
    files.set(u.key, list);
  }
  const keys = [...files].map(
    ([key, in_]) => `${key}=${in_.length ? ` (in ${in_.join(", ")})` : ""}`,
  );
  return `# Needs podman ${min.version} or newer, the first whose Quadlet knows ${keys.join(", ")}.`;
}

/** The version a unit's header states, or undefined. */
export function headerVersion(text: string): PodmanVersion | undefined {
  return /^# Needs podman (\d+\.\d+) or newer/m.exec(text)?.[1] as PodmanVersion | undefined;
}
