// Shared by the Kubernetes export tests: manifests from YAML text, and the
// check that an object is one a Kubernetes API server accepts: the OpenAPI
// schema of its kind (kubernetes-models) plus the name rules the API server
// adds on top of the schema (DNS-1123 names, port names, required fields).
import { fileURLToPath } from "node:url";
import { parseManifest, type AppManifest } from "@archy/reconciler";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Pod } from "kubernetes-models/v1/Pod";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { expect } from "vitest";
import { DNS_LABEL, DNS_SUBDOMAIN } from "./names.js";

export const REPO = fileURLToPath(new URL("../../../../", import.meta.url)).replace(/\/$/, "");
export const EXAMPLES = `${REPO}/examples/apps`;

/** One app from manifest YAML (the `app:` body, indented by two spaces); fails on a manifest error. */
export function app(body: string, file = "/srv/apps/app.yaml"): AppManifest {
  const r = parseManifest(`app:\n${body}`, file);
  expect(r.errors).toEqual([]);
  return r.app!;
}

const MODELS = { Pod, Deployment, Service, Secret, PersistentVolumeClaim } as const;
const IANA_SVC_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function podSpecRules(spec: Record<string, unknown>, where: string, errors: string[]) {
  const containers = [
    ...((spec.initContainers as Record<string, unknown>[] | undefined) ?? []),
    ...((spec.containers as Record<string, unknown>[] | undefined) ?? []),
  ];
  if (!((spec.containers as unknown[] | undefined)?.length ?? 0))
    errors.push(`${where}: no containers`);
  const volumes = new Set(
    ((spec.volumes as { name: string }[] | undefined) ?? []).map((v) => v.name),
  );
  for (const v of volumes) if (!DNS_LABEL.test(v)) errors.push(`${where}: volume name ${v}`);
  const names = new Set<string>();
  for (const c of containers) {
    const name = c.name as string;
    if (!DNS_LABEL.test(name)) errors.push(`${where}: container name ${name}`);
    if (names.has(name)) errors.push(`${where}: duplicate container ${name}`);
    names.add(name);
    if (typeof c.image !== "string" || !c.image) errors.push(`${where}: ${name} has no image`);
    const portNames = new Set<string>();
    for (const p of (c.ports as Record<string, unknown>[] | undefined) ?? []) {
      if (p.name !== undefined && !IANA_SVC_NAME.test(p.name as string))
        errors.push(`${where}: port name ${String(p.name)}`);
      if (portNames.has(p.name as string))
        errors.push(`${where}: duplicate port ${String(p.name)}`);
      portNames.add(p.name as string);
      for (const k of ["containerPort", "hostPort"])
        if (p[k] !== undefined && !((p[k] as number) >= 1 && (p[k] as number) <= 65535))
          errors.push(`${where}: ${k} ${String(p[k])}`);
    }
    for (const m of (c.volumeMounts as { name: string; mountPath: string }[] | undefined) ?? []) {
      if (!volumes.has(m.name)) errors.push(`${where}: mount of unknown volume ${m.name}`);
      if (!m.mountPath.startsWith("/")) errors.push(`${where}: mount path ${m.mountPath}`);
    }
  }
}

/**
 * Fails the test unless `obj` is an object an API server accepts: its
 * kind's OpenAPI schema, names, and the cross-field rules these objects meet.
 */
export function expectValidKube(obj: Record<string, unknown>): void {
  const kind = obj.kind as keyof typeof MODELS;
  const Model = MODELS[kind];
  expect(Model, `kind ${String(kind)}`).toBeDefined();
  expect(() => new Model(obj as never).validate()).not.toThrow();
  const meta = obj.metadata as { name: string; labels?: Record<string, string> };
  const errors: string[] = [];
  const where = `${kind} ${meta.name}`;
  const nameRule =
    kind === "Secret" || kind === "PersistentVolumeClaim" ? DNS_SUBDOMAIN : DNS_LABEL;
  if (!nameRule.test(meta.name)) errors.push(`${where}: name`);
  for (const [k, v] of Object.entries(meta.labels ?? {}))
    if (
      !/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(v) ||
      !/^[a-z0-9.-]+\/?[A-Za-z0-9_.-]+$/.test(k)
    )
      errors.push(`${where}: label ${k}=${v}`);
  const spec = obj.spec as Record<string, unknown> | undefined;
  if (kind === "Pod") podSpecRules(spec!, where, errors);
  if (kind === "Deployment") {
    const template = spec!.template as {
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown>;
    };
    const match = (spec!.selector as { matchLabels: Record<string, string> }).matchLabels;
    for (const [k, v] of Object.entries(match))
      if (template.metadata.labels[k] !== v)
        errors.push(`${where}: selector does not match template`);
    if (template.spec.restartPolicy !== "Always") errors.push(`${where}: restartPolicy`);
    podSpecRules(template.spec, where, errors);
  }
  if (kind === "Service")
    for (const p of (spec!.ports as { name?: string }[]) ?? [])
      if ((spec!.ports as unknown[]).length > 1 && !IANA_SVC_NAME.test(p.name ?? ""))
        errors.push(`${where}: port name ${String(p.name)}`);
  if (kind === "PersistentVolumeClaim") {
    const storage = (spec!.resources as { requests?: { storage?: string } } | undefined)?.requests
      ?.storage;
    if (!storage) errors.push(`${where}: no storage request`);
    if (!((spec!.accessModes as unknown[] | undefined)?.length ?? 0))
      errors.push(`${where}: no access mode`);
  }
  expect(errors).toEqual([]);
}
