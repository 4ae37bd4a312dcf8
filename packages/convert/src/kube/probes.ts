// An archy health check as a Kubernetes liveness and readiness probe.
//
// http → httpGet and tcp → tcpSocket: like archy, the kubelet probes them
// from outside the container. cmd → exec, run inside it. interval →
// periodSeconds, timeout → timeoutSeconds, retries → failureThreshold,
// start_period → initialDelaySeconds (podman kube play maps that one to the
// healthcheck's start period; it has no startupProbe in 4.3).
//
// podman 4.3 turns the livenessProbe into a podman healthcheck run *inside*
// the container as `/bin/sh -c "<cmd> || exit 1"`: httpGet becomes
// `curl -f http://localhost:PORT/PATH`, tcpSocket `nc -z -v localhost PORT`,
// exec its words joined by spaces. It ignores readinessProbe.
import type { AppManifest, HealthCheck } from "@archy/reconciler";
import type { KubeObject } from "./names.js";

/** Whole seconds, at least 1: probe fields are integers and 0 means "default". */
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** A word that `/bin/sh` would not read back as the same single word. */
const SHELL_SPECIAL = /[\s'"\\$`|&;<>()*?[\]{}#~!]/;

export function probeHandler(hc: HealthCheck): KubeObject {
  switch (hc.kind) {
    case "http":
      return { httpGet: { path: hc.path, port: hc.port } };
    case "tcp":
      return { tcpSocket: { port: hc.port } };
    case "cmd":
      return { exec: { command: [...hc.cmd] } };
  }
}

export interface Probes {
  livenessProbe: KubeObject;
  readinessProbe: KubeObject;
  notes: string[];
}

/** The probes of an app's health check, or null when it declares none. */
export function probesOf(app: AppManifest): Probes | null {
  const hc = app.container.healthcheck;
  if (!hc) return null;
  const timing = {
    periodSeconds: seconds(hc.intervalMs),
    timeoutSeconds: seconds(hc.timeoutMs),
    failureThreshold: Math.max(1, hc.retries),
    ...(hc.startPeriodMs > 0 ? { initialDelaySeconds: seconds(hc.startPeriodMs) } : {}),
  };
  const notes: string[] = [];
  const at = `app ${app.id}: health check`;
  if (hc.kind === "http")
    notes.push(
      `${at}: podman kube play runs the httpGet probe inside the container as \`curl -f http://localhost:${hc.port}${hc.path}\`, so there the image needs curl (Kubernetes probes from the kubelet)`,
    );
  else if (hc.kind === "tcp")
    notes.push(
      `${at}: podman kube play runs the tcpSocket probe inside the container as \`nc -z -v localhost ${hc.port}\`, so there the image needs an nc that knows -z (Kubernetes probes from the kubelet)`,
    );
  else if (hc.cmd.some((w) => w === "" || SHELL_SPECIAL.test(w)))
    notes.push(
      `${at}: podman kube play joins the exec probe's words with spaces and runs them with /bin/sh -c, so a word with spaces or shell characters (${JSON.stringify(hc.cmd)}) does not reach the command as one word there; Kubernetes runs the words as given`,
    );
  return {
    livenessProbe: { ...probeHandler(hc), ...timing },
    readinessProbe: { ...probeHandler(hc), ...timing },
    notes,
  };
}
