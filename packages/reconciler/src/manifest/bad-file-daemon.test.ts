// Lead 1 of issue 10, and the corpus's "nothing else stopped": with any bad
// manifest of the corpus in the folder, a reconciler still converges the good
// apps, and restarts one that dies. (An alias bomb used to throw out of the
// folder's loading: every pass failed with "cannot read manifests", and a
// killed app stayed down.)
import { mkdir, mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reconcilerFixture } from "../test-helpers.js";
import { BAD_MANIFESTS, GOOD_IDS, SECRET, writeCase } from "./bad-manifests.fixtures.js";

const t = reconcilerFixture(["localhost/db:1", "localhost/api:1", "localhost/web:1"]);

describe("a bad manifest in the folder", () => {
  it.each(
    // The cases of 20,000 entries cost seconds each in the loader alone (corpus.test.ts runs them).
    BAD_MANIFESTS.filter((c) => !c.name.startsWith("20,000")).map((c) => [c.name, c] as const),
  )("%s: the other apps converge, and a killed one is restarted", async (_name, c) => {
    const apps = join(t.dir, "apps");
    await mkdir(apps);
    await writeCase(apps, await mkdtemp(join(t.dir, "outside-")), c.files);
    const r = t.make([], { apps: undefined, manifestsDir: apps });

    const first = await t.settle(r.reconcileAll());
    expect(first.error).toBeUndefined();
    expect(first.failures).toEqual([]);
    expect(first.manifestErrors.length).toBe(c.errors.length);
    for (const id of GOOD_IDS) expect(t.fake.containers.get(`archy-${id}`)?.state).toBe("running");
    expect(r.getApps().map((a) => a.id)).toEqual(expect.arrayContaining(c.valid ?? []));
    expect(JSON.stringify(first)).not.toContain(SECRET);

    t.fake.crash("archy-db");
    const second = await t.settle(r.reconcileAll());
    expect(second.error).toBeUndefined();
    expect(t.fake.containers.get("archy-db")?.state).toBe("running");
    expect(t.fake.containers.get("archy-api")?.state).toBe("running");
  });
});
