import {
  PodmanCommandError,
  PodmanOutputError,
  PodmanUnavailableError,
} from "@archy/runtime-podman";
import { FakeRuntime } from "@archy/runtime-podman/testing";
import { describe, expect, it } from "vitest";
import { podmanVersion } from "./podman-version.js";

const noWait = async () => undefined;

describe("podmanVersion (the daemon's first podman call)", () => {
  it("a podman that fails or prints garbage is asked again; the third answer counts", async () => {
    const fake = new FakeRuntime();
    fake
      .failNext("version", new PodmanCommandError(["version"], 125, "Error: database is locked"))
      .failNext("version", new PodmanOutputError("version", "not JSON"));
    expect(await podmanVersion(fake, { wait: noWait })).toBe("fake");
    expect(fake.calls.filter((c) => c.method === "version")).toHaveLength(3);
  });

  it("gives up after the attempts, and at once for a missing podman", async () => {
    const fake = new FakeRuntime();
    fake.failNext("version", undefined, { times: 3 });
    await expect(podmanVersion(fake, { wait: noWait })).rejects.toBeInstanceOf(PodmanCommandError);
    const missing = new FakeRuntime();
    missing.failNext("version", new PodmanUnavailableError("/nope", "binary not found"));
    await expect(podmanVersion(missing, { wait: noWait })).rejects.toBeInstanceOf(
      PodmanUnavailableError,
    );
    expect(missing.calls).toHaveLength(1);
  });
});
