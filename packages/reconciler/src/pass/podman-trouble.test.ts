import {
  ContainerNotFoundError,
  PodmanCommandError,
  PodmanOutputError,
} from "@archy/runtime-podman";
import { FakeRuntime, VirtualClock } from "@archy/runtime-podman/testing";
import { describe, expect, it } from "vitest";
import { watchPodmanTrouble } from "./podman-trouble.js";

describe("watchPodmanTrouble", () => {
  const setup = () => {
    const clock = new VirtualClock(1_000);
    const fake = new FakeRuntime({ clock, images: ["localhost/web:1"] });
    return { clock, fake, ...watchPodmanTrouble(fake, clock) };
  };

  it("notes a read that failed and unreadable output of any call, with the time", async () => {
    const { clock, fake, runtime, troubleAt } = setup();
    expect(await runtime.listContainers()).toEqual([]);
    expect(troubleAt()).toBeNull();
    fake.failNext("listContainers");
    await expect(runtime.listContainers()).rejects.toThrow(PodmanCommandError);
    expect(troubleAt()).toBe(1_000);
    await clock.advance(500);
    fake.failNext("startContainer", new PodmanOutputError("start", "not JSON"));
    await expect(runtime.startContainer("archy-web")).rejects.toThrow(PodmanOutputError);
    expect(troubleAt()).toBe(1_500);
  });

  it("a start that fails for the app's sake, or a container that is not there, is not podman's trouble", async () => {
    const { fake, runtime, troubleAt } = setup();
    fake.failNext("startContainer");
    await expect(runtime.startContainer("archy-web")).rejects.toThrow(PodmanCommandError);
    fake.failNext("getContainerStatus", new ContainerNotFoundError("archy-web"));
    await expect(runtime.getContainerStatus("archy-web")).rejects.toThrow(ContainerNotFoundError);
    expect(troubleAt()).toBeNull();
  });
});
