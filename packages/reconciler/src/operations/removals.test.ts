// `archy remove` is an intent like stop and start: once acknowledged it is
// never lost. Seen in the kill -9 torture: `archy remove extra --no-wait`
// answered `removing`, the daemon was killed before the container and the
// manifest were gone, and the next daemon kept the app, desired running.
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DesiredStateStore } from "../state/desired.js";
import { reconcilerFixture } from "../test-helpers.js";

const t = reconcilerFixture();

async function installedWeb() {
  const apps = join(t.dir, "apps");
  await mkdir(apps);
  const first = t.make([], { apps: undefined, manifestsDir: apps });
  await t.settle((await first.install(t.app("web").source, "web.yaml")).done);
  return { apps, first };
}

describe("a removal the owner was told of", () => {
  it("is persisted before the answer, and the next daemon's first pass finishes it", async () => {
    const { apps, first } = await installedWeb();
    // The daemon dies while podman stops the container: the rm never comes.
    t.fake.hangNext("stopContainer");
    const handle = await first.remove("web");
    expect(handle.status.phase).toBe("removing");
    expect(await new DesiredStateStore(t.dir).pendingRemovals()).toEqual({
      web: { purge: false },
    });

    const next = t.make([], { apps: undefined, manifestsDir: apps });
    const report = await t.settle(next.reconcileAll());
    expect(report.actions).toEqual([]);
    expect(t.fake.containers.has("archy-web")).toBe(false);
    expect(await readdir(apps)).toEqual([]);
    expect(next.getApps()).toEqual([]);
    expect(JSON.parse(await readFile(join(t.dir, "desired.json"), "utf8")).data).toEqual({
      apps: {},
    });
  });

  it("with --purge, its volumes go too when the next pass finishes it", async () => {
    const apps = join(t.dir, "apps");
    await mkdir(apps);
    const first = t.make([], { apps: undefined, manifestsDir: apps });
    const source = t
      .app("web")
      .source.replace(
        "    stop_timeout: 1s\n",
        '    stop_timeout: 1s\n    volumes: ["web-data:/data"]\n',
      );
    await t.settle((await first.install(source, "web.yaml")).done);
    t.fake.hangNext("stopContainer");
    await first.remove("web", { purge: true });
    const next = t.make([], { apps: undefined, manifestsDir: apps });
    await t.settle(next.reconcileAll());
    expect(t.fake.calls.filter((c) => c.method === "removeVolume").map((c) => c.args[0])).toEqual([
      "web-data",
    ]);
    expect(await readdir(apps)).toEqual([]);
  });

  it("recovery after the crash leaves the app down for the pass to remove", async () => {
    const { apps, first } = await installedWeb();
    const snapshot = await first.snapshotState();
    t.fake.hangNext("removeContainer");
    await first.remove("web");
    // The stop went through before the daemon died; the rm did not.
    await t.settle(
      (async () => {
        while (t.fake.containers.get("archy-web")?.state === "running")
          await new Promise((r) => setImmediate(r));
      })(),
    );
    const next = t.make([], { apps: undefined, manifestsDir: apps });
    const recovery = await t.settle(next.recover(snapshot));
    expect(recovery.recovered).toEqual([]);
    expect(t.fake.calls.filter((c) => c.method === "startContainer")).toEqual([]);
    await t.settle(next.reconcileAll());
    expect(t.fake.containers.has("archy-web")).toBe(false);
  });

  it("a later intent for the app (start, stop, install) cancels it", async () => {
    const store = new DesiredStateStore(t.dir);
    await store.beginRemoval("web", { purge: true });
    await store.set("web", "running");
    const reread = new DesiredStateStore(t.dir);
    expect(await reread.pendingRemovals()).toEqual({});
    expect(await reread.get("web")).toBe("running");
  });
});
