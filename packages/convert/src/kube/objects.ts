// The objects around an app's pod: the Secret holding its secret env
// values, the Service that names it, and the Pod or Deployment itself.
import { isSecretKey, type AppManifest } from "@archy/reconciler";
import { appLabels, objectName, portName, type KubeObject } from "./names.js";

/**
 * The Secret of an app's secret env values (keys SPEC section 8 calls
 * secret), base64 in `data`: the form Kubernetes stores, which podman 4.4+
 * reads and which is exactly the JSON podman 4.3 expects of a podman secret.
 * No secret value appears in plain text anywhere in the output.
 */
export function secretOf(app: AppManifest, name: string): KubeObject {
  const data: Record<string, string> = {};
  for (const key of Object.keys(app.container.env).sort())
    if (isSecretKey(key))
      data[key] = Buffer.from(app.container.env[key] ?? "", "utf8").toString("base64");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, labels: appLabels(app) },
    type: "Opaque",
    data,
  };
}

/**
 * The Service of an app: every container port, plus the port of an http or
 * tcp health check (what a dependent's init container probes), each under
 * its container port number, so `archy-<id>:<port>` means the same on a
 * cluster (the Service) as under podman (the pod itself). Null when the app
 * has no port at all. podman kube play ignores Services.
 */
export function serviceOf(app: AppManifest): KubeObject | null {
  const ports = new Map<string, KubeObject>();
  for (const p of app.container.ports) {
    const name = portName(p.protocol, p.containerPort);
    ports.set(name, {
      name,
      port: p.containerPort,
      targetPort: p.containerPort,
      protocol: p.protocol.toUpperCase(),
    });
  }
  const hc = app.container.healthcheck;
  if (hc && hc.kind !== "cmd") {
    const name = portName("tcp", hc.port);
    if (!ports.has(name))
      ports.set(name, { name, port: hc.port, targetPort: hc.port, protocol: "TCP" });
  }
  if (ports.size === 0) return null;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: objectName(app.id), labels: appLabels(app) },
    spec: { selector: appLabels(app), ports: [...ports.values()] },
  };
}

export const RESTART = { always: "Always", "on-failure": "OnFailure", no: "Never" } as const;

/** A Pod (with `restartPolicy`), or a one-replica Deployment (always Always), around a pod spec. */
export function workloadOf(
  app: AppManifest,
  podSpec: KubeObject,
  kind: "Pod" | "Deployment",
  restartPolicy: string = RESTART[app.restart.policy],
): KubeObject {
  const metadata = { name: objectName(app.id), labels: appLabels(app) };
  if (kind === "Pod")
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata,
      spec: { restartPolicy, ...podSpec },
    };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec: {
      replicas: 1,
      // hostPorts and ReadWriteOnce claims: the old pod must go before the new one starts.
      strategy: { type: "Recreate" },
      selector: { matchLabels: appLabels(app) },
      template: {
        metadata: { labels: appLabels(app) },
        spec: { restartPolicy: "Always", ...podSpec },
      },
    },
  };
}
