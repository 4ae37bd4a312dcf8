// archy manifests → Kubernetes YAML that `podman kube play` runs and a
// Kubernetes API server accepts. Pure: no I/O, the same apps always give the
// same text.
import { dependencyOrder, type AppManifest } from "@archy/reconciler";
import { stringify } from "yaml";
import type { PodmanVersion } from "../quadlet/keys.js";
import { targetHas } from "../target.js";
import { containerSpec, imageNotes, podNotes, secretNameOf } from "./container.js";
import type { KubeObject } from "./names.js";
import { RESTART, secretOf, serviceOf, workloadOf } from "./objects.js";
import { INIT_RESTART_FIXED, kubeLacks } from "./target.js";
import { persistentVolumeClaim, volumesOf } from "./volumes.js";
import { waitContainers } from "./wait.js";

export interface KubeExportOptions {
  /**
   * What runs each app (default "Pod"). A Pod keeps archy's restart policy
   * (always → Always, on-failure → OnFailure, no → Never) and is named
   * `archy-<id>` under podman too; a Deployment always restarts, and podman
   * 4.3 names its pod `archy-<id>-pod-0`. podman 4.3 kube play runs both.
   */
  kind?: "Pod" | "Deployment";
  /**
   * Secret env values go into a Secret object per app (default true). With
   * false, containers still take them through secretKeyRef, the output holds
   * no secret value at all, and the Secrets `archy-<id>` must be made apart.
   */
  secrets?: boolean;
  /**
   * Manifests of apps the exported ones depend on but that are not exported
   * (the CLI passes all it loaded): their health checks tell the init
   * containers what to wait for.
   */
  dependencies?: readonly AppManifest[];
  /** Image of the init containers that wait for dependencies (default busybox). */
  waitImage?: string;
  /** How long such an init container waits before it fails (default 300 s). */
  waitTimeoutSeconds?: number;
  /** Storage each PersistentVolumeClaim requests (default "1Gi"; archy volumes have no size). */
  volumeSize?: string;
  /**
   * The podman that will play the file, `major.minor`: from 4.6 on, a Pod
   * whose init containers wait for dependencies keeps restartPolicy Always;
   * `lacks` names what an older one lacks. Undefined: any podman from 4.3.
   */
  podman?: PodmanVersion;
}

export interface KubeExport {
  /** Multi-document YAML with a header comment naming its generator and carrying the notes. */
  text: string;
  /** The documents of `text`, in order. */
  objects: Record<string, unknown>[];
  /** What could not be expressed, or behaves differently under podman; one sentence each. */
  notes: string[];
  /** What the `podman` of the options lacks that this file runs into (none without one). */
  lacks: string[];
}

export const DEFAULT_WAIT_IMAGE = "docker.io/library/busybox:1.36";
export const DEFAULT_WAIT_TIMEOUT_S = 300;
export const DEFAULT_VOLUME_SIZE = "1Gi";

/**
 * The Kubernetes objects of `apps`: per app a Secret (secret env values), a
 * PersistentVolumeClaim per named volume, a Service (apps with ports) and a
 * Pod or Deployment. Dependencies come before their dependents (podman plays
 * documents in order) and are waited for by init containers.
 */
export function exportKube(apps: readonly AppManifest[], opts: KubeExportOptions = {}): KubeExport {
  const kind = opts.kind ?? "Pod";
  const withSecrets = opts.secrets ?? true;
  const size = opts.volumeSize ?? DEFAULT_VOLUME_SIZE;
  const byId = new Map(apps.map((a) => [a.id, a]));
  const known = new Map([...(opts.dependencies ?? []).map((a) => [a.id, a] as const), ...byId]);
  const ordered = dependencyOrder([...apps]).map((id) => byId.get(id)!);

  const notes: string[] = [];
  const secrets: KubeObject[] = [];
  const claims = new Map<string, KubeObject>();
  const workloads: KubeObject[] = [];
  const claimOwners = new Map<string, string[]>();
  const downgraded: string[] = [];
  const deploymentsWithInit: string[] = [];
  // A podman without the init container fix, or one not named: work around it.
  const initFixed = targetHas(opts.podman, INIT_RESTART_FIXED);

  for (const app of ordered) {
    const secretName = secretNameOf(app);
    if (secretName !== null) {
      if (withSecrets) secrets.push(secretOf(app, secretName));
      else
        notes.push(
          `app ${app.id}: create the Secret ${secretName} with the keys ${Object.keys(secretOf(app, secretName).data as object).join(", ")} before playing or applying this file`,
        );
    }
    const built = containerSpec(app, secretName);
    const vols = volumesOf(app);
    for (const { claim } of vols.claims) {
      if (!claims.has(claim)) claims.set(claim, persistentVolumeClaim(claim, app, size));
      claimOwners.set(claim, [...(claimOwners.get(claim) ?? []), app.id]);
    }
    const waits = waitContainers(app, known, {
      image: opts.waitImage ?? DEFAULT_WAIT_IMAGE,
      timeoutSeconds: opts.waitTimeoutSeconds ?? DEFAULT_WAIT_TIMEOUT_S,
      kind,
    });
    for (const dep of app.dependsOn)
      if (!byId.has(dep))
        notes.push(
          `app ${app.id}: depends on ${dep}, which is not in this file: its init container waits until ${dep} answers, so ${dep} must be started apart`,
        );
    const podSpec: KubeObject = {
      ...(app.container.network === "host" ? { hostNetwork: true } : {}),
      ...(waits.initContainers.length ? { initContainers: waits.initContainers } : {}),
      containers: [
        { ...built.container, ...(vols.mounts.length ? { volumeMounts: vols.mounts } : {}) },
      ],
      ...(vols.volumes.length ? { volumes: vols.volumes } : {}),
      terminationGracePeriodSeconds: Math.ceil(app.container.stopTimeoutMs / 1000),
    };
    const service = serviceOf(app);
    if (service) workloads.push(service);
    // podman before 4.6 gives init containers the pod's restart policy, and
    // under Always restarts one that ended well, racing kube play's removal
    // of it ("failed to remove once init container", podman issues 15631,
    // 16343, fixed by PR 18481). OnFailure is what both honour.
    let restartPolicy: string = RESTART[app.restart.policy];
    if (waits.initContainers.length && restartPolicy === "Always" && !initFixed) {
      if (kind === "Pod") {
        restartPolicy = "OnFailure";
        downgraded.push(app.id);
        notes.push(
          `app ${app.id}: restartPolicy OnFailure, not Always: podman before 4.6 also restarts the init containers that wait for its dependencies under Always, and kube play then fails; so an exit with status 0 is not restarted`,
        );
      } else {
        deploymentsWithInit.push(app.id);
        notes.push(
          `app ${app.id}: podman before 4.6 restarts the init containers of a Deployment (always Always) that wait for its dependencies, and kube play can fail: export with kind Pod for podman 4.3-4.5`,
        );
      }
    }
    workloads.push(workloadOf(app, podSpec, kind, restartPolicy));
    notes.push(
      ...imageNotes(app),
      ...built.notes,
      ...vols.notes,
      ...waits.notes,
      ...podNotes(app, kind),
    );
  }
  for (const [claim, owners] of claimOwners)
    if (owners.length > 1)
      notes.push(
        `volume claim ${claim} is shared by ${owners.join(", ")} (labelled ${owners[0]}): ReadWriteOnce lets pods share it on one node only`,
      );

  const objects = [...secrets, ...claims.values(), ...workloads];
  const lacks = kubeLacks(opts.podman, {
    downgraded,
    deploymentsWithInit,
    secretObjects: secrets.length > 0,
    claims: claims.size > 0,
  });
  return { text: render(apps, objects, notes, lacks), objects, notes, lacks };
}

function render(
  apps: readonly AppManifest[],
  objects: KubeObject[],
  notes: string[],
  lacks: string[],
): string {
  const ids = apps.map((a) => a.id).join(", ") || "none";
  const list = (title: string, lines: string[]) =>
    lines.length ? [title, ...lines.map((n) => `#   - ${n.replace(/\n/g, " ")}`)] : [];
  const header = [
    `# Kubernetes objects of the archy apps ${ids}, generated by archy export kube (@archy/convert).`,
    "# podman: podman kube play FILE, removed with podman kube down FILE. A cluster: kubectl apply -f FILE.",
    ...list("# Notes:", notes),
    ...list("# The target podman lacks:", lacks),
  ].join("\n");
  const docs = objects.map((o) => stringify(o, { lineWidth: 0 }));
  return `${header}\n${docs.map((d) => `---\n${d}`).join("")}`;
}
