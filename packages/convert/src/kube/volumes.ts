// Volumes of an app: a named volume as a PersistentVolumeClaim (podman kube
// play creates a named volume called after the claim), a host path as a
// hostPath volume (manifest host paths are absolute once loaded).
import type { AppManifest } from "@archy/reconciler";
import { appLabels, claimName, labelFrom, type KubeObject } from "./names.js";

export interface AppVolumes {
  /** `spec.volumes` of the pod. */
  volumes: KubeObject[];
  /** `volumeMounts` of the app's container. */
  mounts: KubeObject[];
  /** Claim names this app uses, with the archy volume each comes from. */
  claims: { claim: string; volume: string }[];
  notes: string[];
}

const isHostPath = (source: string) => source.startsWith("/");

export function volumesOf(app: AppManifest): AppVolumes {
  const out: AppVolumes = { volumes: [], mounts: [], claims: [], notes: [] };
  const byName = new Map<string, string>(); // source → pod volume name
  const used = new Set<string>();
  let hostIndex = 0;
  for (const v of app.container.volumes) {
    let name = byName.get(v.source);
    if (name === undefined) {
      if (isHostPath(v.source)) {
        name = `host-${hostIndex++}`;
        out.volumes.push({ name, hostPath: { path: v.source } });
      } else {
        const claim = claimName(v.source);
        name = labelFrom(claim);
        for (let i = 2; used.has(name); i++) name = `${labelFrom(claim, 59)}-${i}`;
        out.volumes.push({ name, persistentVolumeClaim: { claimName: claim } });
        out.claims.push({ claim, volume: v.source });
        if (claim !== v.source)
          out.notes.push(
            `app ${app.id}: volume ${v.source} is claim ${claim} (Kubernetes names allow only lower-case letters, digits, '-' and '.'); podman kube play uses a volume of that name, not ${v.source}`,
          );
      }
      used.add(name);
      byName.set(v.source, name);
    }
    out.mounts.push({ name, mountPath: v.target, ...(v.readOnly ? { readOnly: true } : {}) });
  }
  return out;
}

/** The claim of a named volume: ReadWriteOnce, `size` requested (archy volumes have no size). */
export function persistentVolumeClaim(claim: string, owner: AppManifest, size: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: claim, labels: appLabels(owner) },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } },
  };
}
