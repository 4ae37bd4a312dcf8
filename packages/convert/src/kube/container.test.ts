import { describe, expect, it } from "vitest";
import { containerSpec, imageNotes, podNotes, secretNameOf } from "./container.js";
import { exportKube } from "./export.js";
import { app, expectValidKube } from "./kube.fixtures.js";

const base = (container: string, extra = "") =>
  app(`  id: demo
  name: Demo
  version: 1
  container:
    image: docker.io/library/alpine:3
${container}${extra}`);

describe("containerSpec", () => {
  it("command alone is args (the image's entrypoint stays); entrypoint is command", () => {
    expect(containerSpec(base(`    command: ["httpd", "-f"]\n`), null).container).toMatchObject({
      args: ["httpd", "-f"],
    });
    expect(
      containerSpec(base(`    command: ["httpd", "-f"]\n`), null).container.command,
    ).toBeUndefined();
    expect(
      containerSpec(base(`    entrypoint: ["/bin/sh", "-c"]\n    command: ["echo hi"]\n`), null)
        .container,
    ).toMatchObject({ command: ["/bin/sh", "-c"], args: ["echo hi"] });
    expect(containerSpec(base(`    entrypoint: ["/init"]\n`), null).container.args).toBeUndefined();
  });

  it("pull policy from pull", () => {
    const policy = (pull: string) =>
      containerSpec(base(`    pull: ${pull}\n`), null).container.imagePullPolicy;
    expect(policy("missing")).toBe("IfNotPresent");
    expect(policy("always")).toBe("Always");
    expect(policy("never")).toBe("Never");
    expect(containerSpec(base(""), null).container.imagePullPolicy).toBe("IfNotPresent");
  });

  it("ports: containerPort, hostPort, hostIP, protocol, unique names", () => {
    const c = containerSpec(
      base(`    ports: ["127.0.0.1:18080:8080", "5353:53/udp", "18081:8080"]\n`),
      null,
    ).container;
    expect(c.ports).toEqual([
      {
        name: "tcp-8080",
        containerPort: 8080,
        hostPort: 18080,
        hostIP: "127.0.0.1",
        protocol: "TCP",
      },
      { name: "udp-53", containerPort: 53, hostPort: 5353, protocol: "UDP" },
      { name: "tcp-8080-2", containerPort: 8080, hostPort: 18081, protocol: "TCP" },
    ]);
  });

  it("env: secret keys by secretKeyRef, the rest as values, sorted", () => {
    const a = base(`    env: { Z: last, DB_PASSWORD: pw-1, my_token: t-1, A: 1 }\n`);
    expect(secretNameOf(a)).toBe("archy-demo");
    expect(containerSpec(a, "archy-demo").container.env).toEqual([
      { name: "A", value: "1" },
      {
        name: "DB_PASSWORD",
        valueFrom: { secretKeyRef: { name: "archy-demo", key: "DB_PASSWORD" } },
      },
      { name: "Z", value: "last" },
      { name: "my_token", valueFrom: { secretKeyRef: { name: "archy-demo", key: "my_token" } } },
    ]);
    expect(secretNameOf(base(`    env: { A: 1 }\n`))).toBeNull();
  });

  it("user, capabilities and a read-only root as securityContext; what has no field is a note", () => {
    const built = containerSpec(
      base(
        `    user: "1000:1001"\n    cap_add: [CAP_NET_ADMIN]\n    cap_drop: [all]\n    read_only: true\n    stop_signal: SIGINT\n`,
      ),
      null,
    );
    expect(built.container.securityContext).toEqual({
      runAsUser: 1000,
      runAsGroup: 1001,
      capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] },
      readOnlyRootFilesystem: true,
    });
    expect(built.notes).toEqual([
      "app demo: stop_signal SIGINT has no Kubernetes field (a pod is stopped with the image's STOPSIGNAL, else SIGTERM)",
    ]);
    const named = containerSpec(base(`    user: nobody\n`), null);
    expect(named.container.securityContext).toBeUndefined();
    expect(named.notes[0]).toMatch(/user nobody is a name/);
  });
});

describe("resources", () => {
  it("memory and cpus are limits, memory_reservation a request, in exact quantities; pids is a note", () => {
    const built = containerSpec(
      base(`    resources: { memory: 1.5g, memory_reservation: 256m, cpus: 1.5, pids: 200 }\n`),
      null,
    );
    expect(built.container.resources).toEqual({
      limits: { memory: "1536Mi", cpu: "1500m" },
      requests: { memory: "256Mi" },
    });
    expect(built.notes).toEqual([
      "app demo: pids 200 has no Kubernetes container field: neither podman kube play nor a cluster limits the app to 200 processes (a cluster limits each pod's through the kubelet's podPidsLimit)",
    ]);
  });

  it("whole CPUs as a number, bytes that are no whole KiB as bytes, a CPU finer than 1m rounded with a note", () => {
    const res = (r: string) => containerSpec(base(`    resources: ${r}\n`), null);
    expect(res("{ cpus: 2, memory: 100000000 }").container.resources).toEqual({
      limits: { memory: "100000000", cpu: "2" },
    });
    expect(res("{ memory: 2g }").container.resources).toEqual({ limits: { memory: "2Gi" } });
    expect(res("{ memory_reservation: 64m }").container.resources).toEqual({
      requests: { memory: "64Mi" },
    });
    const fine = res("{ cpus: 0.0004 }");
    expect(fine.container.resources).toEqual({ limits: { cpu: "1m" } });
    expect(fine.notes).toEqual([
      "app demo: cpus 0.0004 is limits.cpu 1m: Kubernetes counts CPU in thousandths",
    ]);
    expect(res("{ pids: 10 }").container.resources).toBeUndefined();
    expect(containerSpec(base(""), null).container.resources).toBeUndefined();
  });

  it("the exported Pod is valid and carries the note in its header", () => {
    const out = exportKube([
      base(`    resources: { memory: 512m, memory_reservation: 128m, cpus: 0.25, pids: 64 }\n`),
    ]);
    for (const o of out.objects) expectValidKube(o);
    expect(out.objects[0]).toMatchObject({
      kind: "Pod",
      spec: {
        containers: [
          {
            name: "demo",
            resources: { limits: { memory: "512Mi", cpu: "250m" }, requests: { memory: "128Mi" } },
          },
        ],
      },
    });
    expect(out.text).toContain(
      "\n      resources:\n        limits:\n          memory: 512Mi\n          cpu: 250m\n        requests:\n          memory: 128Mi\n",
    );
    expect(out.text).toContain("#   - app demo: pids 64 has no Kubernetes container field");
  });
});

describe("pod-level mapping", () => {
  it("stop_timeout is terminationGracePeriodSeconds; host network is hostNetwork", () => {
    const out = exportKube([base(`    stop_timeout: 30s\n    network: host\n`)]);
    for (const o of out.objects) expectValidKube(o);
    expect(out.objects[0]).toMatchObject({
      kind: "Pod",
      spec: { hostNetwork: true, terminationGracePeriodSeconds: 30, restartPolicy: "Always" },
    });
  });

  it("notes for none and named networks, and for a Deployment of a non-always app", () => {
    expect(podNotes(base(`    network: none\n`), "Pod")[0]).toMatch(
      /network none has no Kubernetes equivalent/,
    );
    expect(podNotes(base(`    network: backend\n`), "Pod")[0]).toMatch(
      /podman kube play --network backend/,
    );
    expect(podNotes(base("", `  restart: { policy: on-failure }\n`), "Deployment")[0]).toMatch(
      /restart policy on-failure cannot be kept in a Deployment/,
    );
    expect(podNotes(base(""), "Deployment")).toEqual([]);
    expect(podNotes(base(`    network: backend\n    network_aliases: [db]\n`), "Pod")[1]).toMatch(
      /network_aliases db are not exported/,
    );
  });

  it("build, local images and hooks are notes", () => {
    const notes = imageNotes(
      app(`  id: web
  name: Web
  version: 1
  container:
    image: localhost/my-web:2
    build: { context: ./web }
  hooks:
    pre_start: [["./prep.sh"]]
`),
    );
    expect(notes[0]).toBe(
      "app web: the image localhost/my-web:2 is built from /srv/apps/web, which Kubernetes cannot express: build it first (podman build -t localhost/my-web:2 /srv/apps/web), or run podman kube play --build --context-dir DIR with the context as DIR/my-web/ holding a Containerfile",
    );
    expect(notes[1]).toMatch(/localhost\/my-web:2 exists on this host only/);
    expect(notes[2]).toMatch(/pre_start hooks run on archy's host/);
  });
});
