// Names and labels of the Kubernetes objects of an app. App ids are already
// DNS-1123 labels (SPEC section 2), so `archy-<id>` only needs a length check;
// volume names come from podman's wider alphabet and may need mapping.
import { containerName, LABEL_APP, type AppManifest } from "@archy/reconciler";

/** A plain JSON object of the output (what `objects` holds). */
export type KubeObject = Record<string, unknown>;

/** DNS-1123 label: what Kubernetes requires of Pod, Service, container, volume and port names. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** DNS-1123 subdomain (up to 253 characters): Secret and PersistentVolumeClaim names. */
export const DNS_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/**
 * `archy-<id>`: the Pod (or Deployment), its Service and its Secret. An id
 * of 58 characters or more would make a name over 63, which no Service may
 * carry: it is cut and keeps a short hash so two long ids stay apart.
 */
export function objectName(id: string): string {
  const name = containerName(id);
  return name.length <= 63 ? name : `${name.slice(0, 56)}-${hash6(id)}`;
}

function hash6(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36).padStart(6, "0").slice(-6);
}

/** The labels of every object of an app, and of its pod template. */
export const appLabels = (app: AppManifest): Record<string, string> => ({ [LABEL_APP]: app.id });

/**
 * A podman volume name (`[A-Za-z0-9][A-Za-z0-9_.-]*`) as a claim name:
 * lower case, `_` as `-`. A valid name (the usual case)
 * stays as it is: podman kube play names the volume after the claim, so it
 * keeps using the volume archy created.
 */
export function claimName(volume: string): string {
  const name = volume
    .toLowerCase()
    .replace(/_/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  return DNS_SUBDOMAIN.test(name) ? name : `volume-${hash6(volume)}`;
}

/** A DNS-1123 label made from free text (volume names in a pod spec), at most `max` characters. */
export function labelFrom(text: string, max = 63): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, max)
    .replace(/^-+|-+$/g, "");
  return name || "x";
}

/** Service and container port names: an IANA service name, at most 15 characters (`tcp-8080`). */
export const portName = (protocol: "tcp" | "udp", port: number) => `${protocol}-${port}`;
