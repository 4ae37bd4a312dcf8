// The app's container in a pod spec: image and pull policy, entrypoint and
// command, env (secret values by reference only), ports, resources, mounts,
// probes and what else of the manifest Kubernetes has a field for.
import { isSecretKey, type AppManifest } from "@archy/reconciler";
import { objectName, portName, type KubeObject } from "./names.js";
import { probesOf } from "./probes.js";
import { resourcesOf } from "./resources.js";

const PULL_POLICY = { missing: "IfNotPresent", always: "Always", never: "Never" } as const;

/** Everything `containerSpec` could not put into the container, one sentence each. */
export interface BuiltContainer {
  container: KubeObject;
  notes: string[];
}

/** `uid` or `uid:gid` as runAsUser/runAsGroup; null for a user name (Kubernetes takes numbers only). */
function runAs(user: string): KubeObject | null {
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!m) return null;
  return { runAsUser: Number(m[1]), ...(m[2] !== undefined ? { runAsGroup: Number(m[2]) } : {}) };
}

/** A capability as Kubernetes writes it: `NET_ADMIN`, without `CAP_`. */
const capability = (c: string) => c.toUpperCase().replace(/^CAP_/, "");

export function containerSpec(app: AppManifest, secretName: string | null): BuiltContainer {
  const c = app.container;
  const notes: string[] = [];
  const at = `app ${app.id}`;

  // archy `entrypoint` replaces the image's ENTRYPOINT, `command` its CMD:
  // Kubernetes calls those `command` and `args`. A command alone is args only.
  const exec: KubeObject = {
    ...(c.entrypoint ? { command: [...c.entrypoint] } : {}),
    ...(c.command ? { args: [...c.command] } : {}),
  };

  const env = Object.keys(c.env)
    .sort()
    .map((name): KubeObject =>
      isSecretKey(name) && secretName !== null
        ? { name, valueFrom: { secretKeyRef: { name: secretName, key: name } } }
        : { name, value: c.env[name] },
    );

  const ports = c.ports.map((p): KubeObject => ({
    name: portName(p.protocol, p.containerPort),
    containerPort: p.containerPort,
    hostPort: p.hostPort,
    ...(p.hostIp ? { hostIP: p.hostIp } : {}),
    protocol: p.protocol.toUpperCase(),
  }));
  const seen = new Set<string>();
  for (const p of ports) {
    // Two host ports onto one container port: a second port entry needs its own name.
    let name = p.name as string;
    for (let i = 2; seen.has(name); i++) name = `${(p.name as string).slice(0, 12)}-${i}`;
    p.name = name;
    seen.add(name);
  }

  const security: KubeObject = {};
  if (c.user) {
    const ids = runAs(c.user);
    if (ids) Object.assign(security, ids);
    else
      notes.push(
        `${at}: user ${c.user} is a name; Kubernetes takes a numeric runAsUser only, so the image's user is used (write uid[:gid] to keep it)`,
      );
  }
  if (c.capAdd.length || c.capDrop.length)
    security.capabilities = {
      ...(c.capAdd.length ? { add: c.capAdd.map(capability) } : {}),
      ...(c.capDrop.length ? { drop: c.capDrop.map(capability) } : {}),
    };
  if (c.readOnly) security.readOnlyRootFilesystem = true;

  const limits = resourcesOf(app);
  notes.push(...limits.notes);
  const probes = probesOf(app);
  if (probes) notes.push(...probes.notes);
  if (c.stopSignal)
    notes.push(
      `${at}: stop_signal ${c.stopSignal} has no Kubernetes field (a pod is stopped with the image's STOPSIGNAL, else SIGTERM)`,
    );

  return {
    container: {
      name: app.id,
      image: c.image,
      imagePullPolicy: PULL_POLICY[c.pull],
      ...exec,
      ...(env.length ? { env } : {}),
      ...(ports.length ? { ports } : {}),
      ...(limits.resources ? { resources: limits.resources } : {}),
      ...(probes
        ? { livenessProbe: probes.livenessProbe, readinessProbe: probes.readinessProbe }
        : {}),
      ...(Object.keys(security).length ? { securityContext: security } : {}),
    },
    notes,
  };
}

/** Notes on what of the image and the manifest's host side cannot travel (build, local images, hooks). */
export function imageNotes(app: AppManifest): string[] {
  const c = app.container;
  const notes: string[] = [];
  const at = `app ${app.id}`;
  if (c.build) {
    const dir = c.image.replace(/[:@].*$/, "").replace(/^.*\//, "");
    notes.push(
      `${at}: the image ${c.image} is built from ${c.build.context}${c.build.containerfile ? ` (${c.build.containerfile})` : ""}, which Kubernetes cannot express: build it first (podman build -t ${c.image} ${c.build.context}), or run podman kube play --build --context-dir DIR with the context as DIR/${dir}/ holding a Containerfile`,
    );
  }
  if (c.image.startsWith("localhost/"))
    notes.push(
      `${at}: ${c.image} exists on this host only: a cluster needs it pushed to a registry it can pull from`,
    );
  if (app.hooks.preStart.length)
    notes.push(
      `${at}: pre_start hooks run on archy's host before each start; neither Kubernetes nor podman kube play runs them`,
    );
  return notes;
}

/** Notes on the manifest's network and restart settings that a pod spec cannot hold. */
export function podNotes(app: AppManifest, kind: "Pod" | "Deployment"): string[] {
  const notes: string[] = [];
  const at = `app ${app.id}`;
  const net = app.container.network;
  if (net === "none")
    notes.push(
      `${at}: network none has no Kubernetes equivalent; the pod gets the cluster's pod network`,
    );
  else if (net !== "bridge" && net !== "host")
    notes.push(
      `${at}: network ${net}: Kubernetes has one pod network; with podman, pass podman kube play --network ${net}`,
    );
  if (app.container.networkAliases.length)
    notes.push(
      `${at}: network_aliases ${app.container.networkAliases.join(", ")} are not exported: on Kubernetes the app is reached as its Service archy-${app.id} (add a Service per alias if others need them), and podman kube play gives pods no aliases`,
    );
  if (kind === "Deployment" && app.restart.policy !== "always")
    notes.push(
      `${at}: restart policy ${app.restart.policy} cannot be kept in a Deployment (it always restarts); export with kind Pod to keep it`,
    );
  return notes;
}

/** `archy-<id>`: the name of the app's Secret when it has secret env values. */
export function secretNameOf(app: AppManifest): string | null {
  return Object.keys(app.container.env).some(isSecretKey) ? objectName(app.id) : null;
}
