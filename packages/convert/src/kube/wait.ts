// depends_on as init containers: one per dependency, each waiting until the
// dependency answers, the way both Kubernetes and podman kube play honour.
//
// The dependency is reached by name, `archy-<dep>`, on its container port:
// - Kubernetes: that is the dependency's Service, which only routes to pods
//   whose readinessProbe passes, so an answer means "running and healthy".
// - podman kube play (4.x): pods join a network with DNS (the default
//   `podman-default-kube-network` has it) where each pod's name resolves to
//   its address, so `archy-web:8080` reaches the web pod directly (no
//   hostPort involved). podman ignores readinessProbe, so there an answer
//   means "running and answering". podman starts the pods of a YAML in
//   document order and runs init containers to the end before the app's
//   containers, so dependencies come first in the output.
// What "answers" means follows the dependency's health check: its http
// check (wget), else a TCP connect to its check's or first TCP port (nc).
import type { AppManifest } from "@archy/reconciler";
import { labelFrom, objectName, type KubeObject } from "./names.js";

export interface WaitOptions {
  /** Image of the init containers: needs `sh`, `wget`, `nc`, `sleep` and `date` (busybox has them). */
  image: string;
  /** How long each init container waits before it fails (the pod's restart policy then applies). */
  timeoutSeconds: number;
  /** With Deployments, podman 4.3 names the pod `<deployment>-pod-0`: that name is tried too. */
  kind: "Pod" | "Deployment";
}

/** A word for `/bin/sh`, single-quoted when it needs to be. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

interface Target {
  /** A shell function body testing host `$1`. */
  test: string;
  /** What is waited for, for messages (`http://archy-web:8080/index.html`). */
  what: string;
}

/** How to tell that `dep` answers, or null when nothing can be probed from outside it. */
function targetOf(dep: AppManifest): Target | null {
  const hc = dep.container.healthcheck;
  const t = Math.min(10, Math.max(1, Math.ceil((hc?.timeoutMs ?? 2000) / 1000)));
  const host = objectName(dep.id);
  if (hc?.kind === "http")
    return {
      test: `wget -q -T ${t} -O /dev/null "http://$1:${hc.port}"${shellWord(hc.path)}`,
      what: `http://${host}:${hc.port}${hc.path}`,
    };
  const port =
    hc?.kind === "tcp"
      ? hc.port
      : dep.container.ports.find((p) => p.protocol === "tcp")?.containerPort;
  if (port === undefined) return null;
  return {
    test: `nc -w ${t} "$1" ${port} </dev/null >/dev/null 2>&1`,
    what: `${host}:${port} (tcp)`,
  };
}

/** The hosts a dependency's pod answers to: its Service / pod name, and podman's Deployment pod names. */
function hostsOf(dep: string, kind: WaitOptions["kind"]): string[] {
  const name = objectName(dep);
  return kind === "Deployment" ? [name, `${name}-pod-0`, `${name}-pod`] : [name];
}

export interface Waits {
  initContainers: KubeObject[];
  notes: string[];
}

/**
 * The init containers of `app`: one per dependency, in `depends_on` order.
 * `known` holds the manifests of every app a dependency may name (exported
 * or not); a dependency with no manifest there, or with nothing to probe,
 * is waited for by name only.
 */
export function waitContainers(
  app: AppManifest,
  known: ReadonlyMap<string, AppManifest>,
  opts: WaitOptions,
): Waits {
  const notes: string[] = [];
  const initContainers = app.dependsOn.map((dep): KubeObject => {
    const depApp = known.get(dep);
    const target = depApp ? targetOf(depApp) : null;
    const hosts = hostsOf(dep, opts.kind);
    const name = objectName(dep);
    let test: string;
    let what: string;
    if (target) {
      ({ test, what } = target);
    } else {
      // Kubernetes: the Service exists; podman: the pod runs. Not "healthy".
      test = `nslookup "$1" >/dev/null 2>&1`;
      what = `the name ${name}`;
      notes.push(
        depApp
          ? `app ${app.id}: dependency ${dep} has no http or tcp health check and no TCP port, so its init container only waits until the name ${name} resolves (not until ${dep} is healthy)`
          : `app ${app.id}: dependency ${dep} is not among the exported apps and its manifest is unknown, so its init container only waits until the name ${name} resolves`,
      );
    }
    const t = opts.timeoutSeconds;
    const script = [
      `# archy: ${app.id} depends on ${dep}; wait until ${what} answers, at most ${t}s`,
      `ready() { ${test}; }`,
      `deadline=$(($(date +%s) + ${t}))`,
      `until ${hosts.map((h) => `ready ${h}`).join(" || ")}; do`,
      `  if [ "$(date +%s)" -ge "$deadline" ]; then echo ${shellWord(`archy: ${dep} did not answer at ${what} within ${t}s`)} >&2; exit 1; fi`,
      `  echo ${shellWord(`archy: waiting for ${dep} at ${what}`)}`,
      `  sleep 2`,
      `done`,
    ].join("\n");
    return {
      name: labelFrom(`wait-for-${dep}`),
      image: opts.image,
      imagePullPolicy: "IfNotPresent",
      command: ["sh", "-c", `${script}\n`],
    };
  });
  return { initContainers, notes };
}
