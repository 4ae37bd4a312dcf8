// A kill of podman during `podman run -d` / `podman create` (the daemon's
// process group killed) can leave the container's name reserved in podman's
// storage without a container podman lists: `ps -a` and `inspect` know
// nothing of it, every create of that name is refused ("already in use"),
// and `rm --force NAME` removes it. Seen in a kill -9 torture run: an app
// stayed desired running with no container across daemon lifetimes.
import {
  ContainerNotFoundError,
  PodmanCommandError,
  type ContainerSpec,
} from "@archy/runtime-podman";
import { FakeRuntime } from "@archy/runtime-podman/testing";
import { describe, expect, it } from "vitest";
import { errorLogger, reconcilerFixture } from "../test-helpers.js";

/** The fake with podman's storage-only containers: names held that nothing lists. */
class StorageLeftovers extends FakeRuntime {
  readonly held = new Set<string>();
  readonly removedLeftovers: string[] = [];

  override async runContainer(spec: ContainerSpec): Promise<string> {
    if (this.held.has(spec.name))
      throw new PodmanCommandError(
        ["run", spec.name],
        125,
        `Error: creating container storage: the container name "${spec.name}" is already in use by 10f784bda4b1. You have to remove that container to be able to reuse that name: that name is already in use`,
      );
    return super.runContainer(spec);
  }

  override async removeContainer(name: string, opts: { force?: boolean } = {}): Promise<void> {
    if (opts.force && this.held.delete(name)) {
      this.removedLeftovers.push(name);
      return;
    }
    return super.removeContainer(name, opts);
  }
}

const IMAGES = ["localhost/web:1", "localhost/db:1"];
const t = reconcilerFixture(IMAGES);
const leftovers = () => {
  const fake = new StorageLeftovers({ clock: t.clock, images: IMAGES });
  t.fake.dispose();
  t.fake = fake;
  return fake;
};

describe("a container name left held by a kill during podman run", () => {
  it("a pass frees the name (rm --force) and creates the app's container, logging why", async () => {
    const fake = leftovers();
    fake.held.add("archy-web");
    const { logger } = errorLogger();
    const warnings: string[] = [];
    const r = t.make([t.app("web"), t.app("db")], {
      logger: { ...logger, warn: (_o: object, m: string) => warnings.push(m) },
    });
    const report = await t.settle(r.reconcileAll());
    expect(report.failures).toEqual([]);
    expect(fake.removedLeftovers).toEqual(["archy-web"]);
    expect(fake.containers.get("archy-web")?.state).toBe("running");
    expect(await r.appStatus("web")).toMatchObject({ phase: "running", lastError: null });
    expect(warnings).toEqual([
      "web: the name archy-web is held by a container podman does not list (left half-created by a kill); removing it",
    ]);
  });

  it("the owner's start frees it too", async () => {
    const fake = leftovers();
    const r = t.make([t.app("web")]);
    await t.settle(r.reconcileAll());
    await t.settle((await r.stop("web")).done);
    await fake.removeContainer("archy-web", { force: true });
    fake.held.add("archy-web");
    const final = await t.settle((await r.start("web")).done);
    expect(final).toMatchObject({ phase: "running", lastError: null });
    expect(fake.removedLeftovers).toEqual(["archy-web"]);
  });

  it("a name that is free again by the time of the rm is simply taken", async () => {
    const fake = leftovers();
    fake.held.add("archy-web");
    // Another process removed the leftover between the refused run and archy's rm.
    fake.failNext("removeContainer", new ContainerNotFoundError("archy-web"));
    const original = fake.runContainer.bind(fake);
    let first = true;
    fake.runContainer = async (spec) => {
      try {
        return await original(spec);
      } finally {
        if (first) fake.held.delete(spec.name);
        first = false;
      }
    };
    const r = t.make([t.app("web")]);
    const report = await t.settle(r.reconcileAll());
    expect(report.failures).toEqual([]);
    expect(fake.containers.get("archy-web")?.state).toBe("running");
  });

  it("a container podman lists under the name is never removed by the run: the planner decides", async () => {
    const fake = leftovers();
    const r = t.make([t.app("web")]);
    // Created between the pass's observation and its run (a racing owner's podman run).
    const original = fake.runContainer.bind(fake);
    fake.runContainer = async (spec) => {
      fake.addContainer({ name: spec.name, image: "localhost/web:1" }, "running");
      return original(spec);
    };
    const report = await t.settle(r.reconcileAll());
    expect(report.failures.map((f) => f.error)).toEqual([
      expect.stringMatching(/is already in use/),
    ]);
    expect(fake.removedLeftovers).toEqual([]);
    expect(fake.calls.filter((c) => c.method === "removeContainer")).toEqual([]);
    expect(fake.containers.get("archy-web")?.spec.labels).toBeUndefined();
  });
});
