import { describe, expect, it } from "vitest";
import { exportKube } from "./export.js";
import { app, expectValidKube } from "./kube.fixtures.js";
import { claimName, objectName } from "./names.js";
import { volumesOf } from "./volumes.js";

const withVolumes = (id: string, volumes: string) =>
  app(`  id: ${id}
  name: Demo
  version: 1
  container:
    image: docker.io/library/alpine:3
    volumes: ${volumes}
`);

describe("volumesOf", () => {
  it("named volumes as claims, host paths as hostPath, read-only kept", () => {
    const v = volumesOf(
      withVolumes(
        "demo",
        `["data:/data", "./conf:/etc/demo:ro", "/var/log/demo:/logs", "data:/backup:ro"]`,
      ),
    );
    expect(v.volumes).toEqual([
      { name: "data", persistentVolumeClaim: { claimName: "data" } },
      { name: "host-0", hostPath: { path: "/srv/apps/conf" } },
      { name: "host-1", hostPath: { path: "/var/log/demo" } },
    ]);
    expect(v.mounts).toEqual([
      { name: "data", mountPath: "/data" },
      { name: "host-0", mountPath: "/etc/demo", readOnly: true },
      { name: "host-1", mountPath: "/logs" },
      { name: "data", mountPath: "/backup", readOnly: true },
    ]);
    expect(v.claims).toEqual([{ claim: "data", volume: "data" }]);
    expect(v.notes).toEqual([]);
  });

  it("a claim shared by two apps is one PersistentVolumeClaim, with a note", () => {
    const out = exportKube([withVolumes("a", `["shared:/s"]`), withVolumes("b", `["shared:/t"]`)]);
    for (const o of out.objects) expectValidKube(o);
    expect(out.objects.filter((o) => o.kind === "PersistentVolumeClaim")).toHaveLength(1);
    expect(out.notes).toContain(
      "volume claim shared is shared by a, b (labelled a): ReadWriteOnce lets pods share it on one node only",
    );
  });
});

describe("names", () => {
  it("claim names follow DNS-1123 subdomains", () => {
    expect(claimName("data")).toBe("data");
    expect(claimName("My_Data.v2")).toBe("my-data.v2");
    expect(claimName("x..y")).toMatch(/^volume-[a-z0-9]{6}$/);
  });

  it("object names stay within 63 characters and apart", () => {
    const long = "a".repeat(63);
    expect(objectName("web")).toBe("archy-web");
    expect(objectName(long)).toHaveLength(63);
    expect(objectName(long)).not.toBe(objectName(`${"a".repeat(62)}b`));
  });
});
