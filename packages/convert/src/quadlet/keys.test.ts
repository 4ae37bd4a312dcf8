import { describe, expect, it } from "vitest";
import { compareVersions, KEY_SYNTAX, QUADLET_KEYS, SYSTEMD_KEYS } from "./keys.js";
import { headerVersion, keySince, minPodmanFor, versionLine } from "./min-version.js";

describe("QUADLET_KEYS", () => {
  it("holds the versions read from podman's quadlet.go and podman-systemd.unit.5.md", () => {
    expect(QUADLET_KEYS.Container).toMatchObject({
      ContainerName: "4.4",
      Image: "4.4",
      Exec: "4.4",
      Environment: "4.4",
      EnvironmentFile: "4.4",
      PublishPort: "4.4",
      Volume: "4.4",
      Network: "4.4",
      Label: "4.4",
      User: "4.4",
      Group: "4.4",
      AddCapability: "4.4",
      DropCapability: "4.4",
      ReadOnly: "4.4",
      PodmanArgs: "4.4",
      HealthCmd: "4.5",
      HealthOnFailure: "4.5",
      Secret: "4.5",
      Pull: "4.6",
      ReadOnlyTmpfs: "4.8",
      Entrypoint: "5.0",
      StopTimeout: "5.0",
      StopSignal: "5.2",
    });
    expect(QUADLET_KEYS.Volume).toMatchObject({
      Label: "4.4",
      PodmanArgs: "4.6",
      VolumeName: "4.7",
    });
    expect(QUADLET_KEYS.Network).toMatchObject({
      Label: "4.4",
      PodmanArgs: "4.6",
      NetworkName: "4.7",
    });
    expect(QUADLET_KEYS.Volume).not.toHaveProperty("NetworkName");
    expect(QUADLET_KEYS.Container).not.toHaveProperty("VolumeName");
  });

  it("knows every key archy writes, in every section it writes it", () => {
    for (const key of Object.keys(KEY_SYNTAX))
      expect(
        [QUADLET_KEYS.Container, QUADLET_KEYS.Volume, QUADLET_KEYS.Network].some((s) =>
          Object.hasOwn(s, key),
        ),
        key,
      ).toBe(true);
    expect(SYSTEMD_KEYS.Install).toEqual(["WantedBy"]);
  });
});

describe("minPodmanFor", () => {
  it("is the newest version among the keys, and names the keys that need it", () => {
    expect(minPodmanFor([])).toEqual({ version: "4.4", because: [] });
    expect(
      minPodmanFor([
        { section: "Container", key: "Image" },
        { section: "Service", key: "Restart" },
        { section: "Container", key: "HealthCmd" },
        { section: "Container", key: "HealthCmd" },
        { section: "Volume", key: "VolumeName", file: "archy-x.volume" },
      ]),
    ).toEqual({
      version: "4.7",
      because: [{ section: "Volume", key: "VolumeName", file: "archy-x.volume" }],
    });
  });

  it("refuses a key no Quadlet knows, or one in the wrong section", () => {
    expect(() => minPodmanFor([{ section: "Container", key: "VolumeName" }])).toThrow(TypeError);
    expect(() => minPodmanFor([{ section: "Service", key: "ExecStart" }])).toThrow(/ExecStart/);
    expect(keySince("Container", "toString")).toBeUndefined();
  });

  it("writes a header line that reads back", () => {
    const min = minPodmanFor([{ section: "Container", key: "HealthCmd" }]);
    expect(versionLine(min)).toBe(
      "# Needs podman 4.5 or newer, the first whose Quadlet knows HealthCmd=.",
    );
    expect(headerVersion(`# x\n${versionLine(min)}\n`)).toBe("4.5");
    expect(headerVersion("[Unit]\n")).toBeUndefined();
  });

  it("orders versions numerically", () => {
    expect(compareVersions("4.10", "4.9")).toBeGreaterThan(0);
    expect(compareVersions("5.0", "4.9")).toBeGreaterThan(0);
    expect(compareVersions("4.4", "4.4")).toBe(0);
  });
});
