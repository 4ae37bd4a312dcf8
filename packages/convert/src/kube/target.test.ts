// The Kubernetes export for a named podman: what its kube play lacks is said,
// and the init-container work-around is left out where podman has the fix.
import { loadManifests, type AppManifest } from "@archy/reconciler";
import { beforeAll, describe, expect, it } from "vitest";
import { exportKube, type KubeExport } from "./export.js";
import { EXAMPLES } from "./kube.fixtures.js";

let apps: AppManifest[];
beforeAll(async () => {
  const loaded = await loadManifests(EXAMPLES);
  expect(loaded.errors).toEqual([]);
  apps = loaded.apps;
});

const restartOf = (out: KubeExport, name: string) =>
  (
    out.objects.find((o) => o.kind === "Pod" && (o.metadata as { name: string }).name === name) as {
      spec: { restartPolicy: string };
    }
  ).spec.restartPolicy;

describe("exportKube for a target podman", () => {
  it("podman 4.3: the init container work-around, and what its kube play lacks (secretKeyRef, existing claims)", () => {
    const out = exportKube(apps, { podman: "4.3" });
    expect(restartOf(out, "archy-clock")).toBe("OnFailure");
    expect(out.lacks).toEqual([
      expect.stringMatching(
        /^podman 4\.3 restarts init containers .*: clock, greeter are exported with OnFailure/,
      ),
      expect.stringMatching(/^podman 4\.3 cannot give a container a value of a Secret it played/),
      expect.stringMatching(
        /^podman 4\.3 fails to play a PersistentVolumeClaim whose volume exists/,
      ),
    ]);
    expect(out.text).toContain(
      "# The target podman lacks:\n#   - podman 4.3 restarts init containers",
    );
    // Without Secret objects there is nothing to resolve.
    expect(exportKube(apps, { podman: "4.3", secrets: false }).lacks).toHaveLength(2);
  });

  it("podman 4.5 lacks only the init container fix; a Deployment says to export Pods", () => {
    expect(exportKube(apps, { podman: "4.5" }).lacks).toEqual([
      expect.stringMatching(/^podman 4\.5 restarts init containers/),
    ]);
    expect(exportKube(apps, { podman: "4.5", kind: "Deployment" }).lacks).toEqual([
      expect.stringMatching(
        /^podman 4\.5 restarts the init containers of a Deployment .* clock, greeter: export Pods instead/,
      ),
    ]);
  });

  it("podman 4.6 and newer: restartPolicy Always is kept, nothing lacks", () => {
    for (const podman of ["4.6", "5.4"] as const) {
      const out = exportKube(apps, { podman });
      expect(restartOf(out, "archy-clock")).toBe("Always");
      expect(out.lacks).toEqual([]);
      expect(out.notes.join("\n")).not.toMatch(/OnFailure|before 4\.6/);
    }
  });

  it("without a target: works on any podman from 4.3, and names nothing as lacking", () => {
    const out = exportKube(apps);
    expect(restartOf(out, "archy-clock")).toBe("OnFailure");
    expect(out.lacks).toEqual([]);
  });
});
