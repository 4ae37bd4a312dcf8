import type { ContainerRuntime } from "@archy/runtime-podman";
import { describe, expect, it } from "vitest";
import { observeEarly } from "./early-observation.js";

/** A runtime stand-in that counts its calls; `this` must be itself. */
function counting(opts: { failPs?: boolean } = {}) {
  const calls: string[] = [];
  const runtime = {
    name: "stand-in",
    listContainers(this: { name: string }, ...args: unknown[]) {
      calls.push(`ps${args.length ? " with labels" : ""}`);
      return opts.failPs
        ? Promise.reject(new Error("podman is missing"))
        : Promise.resolve([{ name: `${this.name} ${calls.length}` }]);
    },
    listImages() {
      calls.push("images");
      return Promise.resolve([{ id: `image ${calls.length}` }]);
    },
    removeContainer(this: { name: string }, name: string) {
      calls.push(`rm ${name} by ${this.name}`);
      return Promise.resolve();
    },
  };
  return { runtime: runtime as unknown as ContainerRuntime, calls };
}

describe("observeEarly", () => {
  it("asks podman at once; the first ps and images take those answers, later ones ask again", async () => {
    const { runtime, calls } = counting();
    const early = await observeEarly(runtime, { images: true });
    expect(calls).toEqual(["ps", "images"]);
    expect(await early.listContainers()).toEqual([{ name: "stand-in 1" }]);
    expect(await early.listImages()).toEqual([{ id: "image 2" }]);
    expect(await early.listContainers()).toEqual([{ name: "stand-in 3" }]);
    expect(await early.listImages()).toEqual([{ id: "image 4" }]);
    expect(calls).toEqual(["ps", "images", "ps", "images"]);
  });

  it("without images, only ps; a call with arguments and any other call go to podman", async () => {
    const { runtime, calls } = counting();
    const early = await observeEarly(runtime, { images: false });
    await early.listContainers({ labels: { a: "b" } });
    await early.removeContainer("x");
    await early.listImages();
    await early.listContainers();
    expect(calls).toEqual(["ps", "ps with labels", "rm x by stand-in", "images"]);
  });

  it("an early call that fails rejects the call that takes its answer, not before", async () => {
    const { runtime } = counting({ failPs: true });
    const early = await observeEarly(runtime, { images: false });
    await new Promise((resolve) => setTimeout(resolve, 10)); // no unhandled rejection meanwhile
    await expect(early.listContainers()).rejects.toThrow("podman is missing");
  });
});
