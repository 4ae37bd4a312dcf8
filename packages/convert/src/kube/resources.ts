// The app's `container.resources` as a container's `resources`: memory →
// `limits.memory`, memory_reservation → `requests.memory`, cpus →
// `limits.cpu`, in Kubernetes quantities. podman kube play (from 4.3, at
// least) reads the same three back: limits.memory as --memory, requests.memory
// as --memory-reservation, limits.cpu as a CPU quota (--cpus). pids has no
// container field in Kubernetes: a note.
import type { AppManifest } from "@archy/reconciler";
import { exactSize } from "../size.js";
import type { KubeObject } from "./names.js";

/** Bytes as a Kubernetes quantity, exact: `512Mi`, `1536Mi`, `1Gi`, `64Ki`, or plain bytes. */
export const memoryQuantity = (bytes: number): string => exactSize(bytes, ["Gi", "Mi", "Ki"], "");

/**
 * CPUs as a Kubernetes quantity: whole CPUs as `2`, else millicores (`1500m`,
 * `250m`); Kubernetes counts no finer than 1m, so a finer value is rounded.
 */
export function cpuQuantity(cpus: number): { quantity: string; rounded: boolean } {
  const milli = Math.max(1, Math.round(cpus * 1000));
  const rounded = Math.abs(milli - cpus * 1000) > 1e-6;
  return { quantity: milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`, rounded };
}

/** The container's `resources`, or null without limits; and what it cannot hold. */
export function resourcesOf(app: AppManifest): { resources: KubeObject | null; notes: string[] } {
  const r = app.container.resources;
  const notes: string[] = [];
  if (!r) return { resources: null, notes };
  const at = `app ${app.id}`;
  const limits: KubeObject = {};
  const requests: KubeObject = {};
  if (r.memoryBytes !== undefined) limits.memory = memoryQuantity(r.memoryBytes);
  if (r.cpus !== undefined) {
    const cpu = cpuQuantity(r.cpus);
    limits.cpu = cpu.quantity;
    if (cpu.rounded)
      notes.push(
        `${at}: cpus ${r.cpus} is limits.cpu ${cpu.quantity}: Kubernetes counts CPU in thousandths`,
      );
  }
  if (r.memoryReservationBytes !== undefined)
    requests.memory = memoryQuantity(r.memoryReservationBytes);
  if (r.pids !== undefined)
    notes.push(
      `${at}: pids ${r.pids} has no Kubernetes container field: neither podman kube play nor a cluster limits the app to ${r.pids} processes (a cluster limits each pod's through the kubelet's podPidsLimit)`,
    );
  const resources: KubeObject = {
    ...(Object.keys(limits).length ? { limits } : {}),
    ...(Object.keys(requests).length ? { requests } : {}),
  };
  return { resources: Object.keys(resources).length ? resources : null, notes };
}
