// The manifest as the rest of the package sees it (`AppManifest`, camelCase,
// normalised) and the app id pattern. No YAML or schema library: importers
// that only read manifests (the cache, the folder) load neither.
import type { ContainerResources, PortMapping, VolumeMount } from "@archy/runtime-podman";
import type { UpdateWindow } from "./window.js";

/** `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`: also a valid container-name suffix and file name. */
export const APP_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export type HealthCheck = {
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
} & (
  | { kind: "cmd"; cmd: string[] }
  | { kind: "http"; port: number; path: string }
  | { kind: "tcp"; port: number }
);

export interface AppManifest {
  id: string;
  name: string;
  version: string;
  dependsOn: string[];
  container: {
    image: string;
    /** Absolute context folder; the image is built when absent. */
    build: { context: string; containerfile?: string } | null;
    pull: "missing" | "always" | "never";
    command?: string[];
    entrypoint?: string[];
    env: Record<string, string>;
    ports: PortMapping[];
    volumes: VolumeMount[];
    network: string;
    /** More DNS names on a named network (a compose service's name, say). */
    networkAliases: string[];
    user?: string;
    capAdd: string[];
    capDrop: string[];
    readOnly: boolean;
    stopTimeoutMs: number;
    stopSignal?: string;
    healthcheck: HealthCheck | null;
    /** Memory, CPU and process limits; null when the manifest gives none. */
    resources: ContainerResources | null;
  };
  restart: {
    policy: "always" | "on-failure" | "no";
    backoff: { initialMs: number; maxMs: number; resetMs: number };
  };
  hooks: { preStart: string[][] };
  /** Absolute paths. */
  configFiles: string[];
  /** How new images and manifest edits go live (`archy update`, the gate). */
  update: {
    /** manual: only `archy update`; notify: also reported by the daemon's checks; auto: applied by them, inside the window. */
    policy: "manual" | "notify" | "auto";
    /** Running (healthy, when checked) and not restarted this long, or rolled back. */
    gateMs: number;
    /** The whole update, pull to gate, or rolled back. */
    timeoutMs: number;
    /** When `auto` may apply; null is any time. */
    window: UpdateWindow | null;
  };
  /** The manifest file (absolute) and its folder. */
  file: string;
  dir: string;
  /** The file's text, kept for snapshots and resurrect. */
  source: string;
}
