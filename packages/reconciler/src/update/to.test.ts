// `archy update APP --to REF` on the fake runtime, virtual time: the image
// named goes through the gate, and the manifest names it only once it passed.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reconcilerFixture } from "../test-helpers.js";
import { UpdatesStore } from "../state/updates.js";
import { setImageIn } from "../manifest/set-image.js";
import { repositoryOf, updateTarget } from "./target.js";

const V1 = "reg.lan/shop/web:1";
const V2 = "reg.lan/shop/web:2";
const MANIFEST = `# the shop's front
app:
  id: web
  name: Web
  version: "1"
  container:
    image: ${V1} # pinned by hand
    ports: ["18080:8080"]
    stop_timeout: 1s
  update: { gate: 10s, timeout: 1m }
`;

describe("updateTarget and the manifest's image", () => {
  const digest = `sha256:${"ab".repeat(32)}`;

  it("a tag or a digest alone stays in the app's repository; a whole reference is taken as it is", () => {
    expect(updateTarget(V1, ":2")).toBe(V2);
    expect(updateTarget(V1, digest)).toBe(`reg.lan/shop/web@${digest}`);
    expect(updateTarget(`reg.lan:5000/web@${digest}`, ":3")).toBe("reg.lan:5000/web:3");
    expect(updateTarget(V1, "docker.io/library/nginx:1.27")).toBe("docker.io/library/nginx:1.27");
    expect(repositoryOf("localhost:5000/a/b")).toBe("localhost:5000/a/b");
  });

  it("anything else is EBADREF, naming what is expected", () => {
    for (const bad of ["", ":", "-rm", "web:", "a b", "sha256:12"])
      expect(() => updateTarget(V1, bad), bad).toThrow(
        expect.objectContaining({ code: "EBADREF", message: expect.stringMatching(/expected/) }),
      );
  });

  it("setImageIn changes the image's text only: comments, quoting and the rest byte for byte", () => {
    const out = setImageIn(MANIFEST, V2);
    expect(out).toBe(MANIFEST.replace(`image: ${V1}`, `image: ${V2}`));
    const quoted = MANIFEST.replace(`image: ${V1}`, `image: "${V1}"`);
    expect(setImageIn(quoted, V2)).toBe(quoted.replace(`"${V1}"`, `"${V2}"`));
  });
});

describe("archy update --to", () => {
  const f = reconcilerFixture([]);
  const setup = async () => {
    const manifests = join(f.dir, "apps");
    await mkdir(manifests);
    const file = join(manifests, "web.yaml");
    await writeFile(file, MANIFEST);
    const oldId = f.fake.publish(V1);
    const r = f.make([], { apps: undefined, manifestsDir: manifests });
    await f.settle(r.reconcileAll());
    const before = f.fake.containers.get("archy-web")!;
    expect(before.state).toBe("running");
    return { r, file, oldId, before };
  };

  it("a good image: live after the gate, then the manifest names it (nothing else changed); a pass leaves it alone", async () => {
    const { r, file } = await setup();
    const newId = f.fake.publish(V2);
    const final = await f.settle((await r.update("web", { to: ":2" })).done);
    expect(final).toMatchObject({ phase: "running", lastError: null, image: V2 });
    const now = f.fake.containers.get("archy-web")!;
    expect(now).toMatchObject({ imageId: newId, state: "running" });
    expect(await readFile(file, "utf8")).toBe(MANIFEST.replace(`image: ${V1}`, `image: ${V2}`));
    await f.settle(r.reconcileAll());
    expect(f.fake.containers.get("archy-web")!.id).toBe(now.id);
    expect([...f.fake.containers.keys()]).toEqual(["archy-web"]);
  });

  it("a broken image: rolled back, the manifest untouched, the image blocked; --to it again tries it again", async () => {
    const { r, file, before } = await setup();
    const badId = f.fake.publish(V2);
    f.fake.setImageBehaviour(badId, { exitAfterMs: 3_000, exitCode: 1 });
    const failed = await f.settle((await r.update("web", { to: V2 })).done);
    expect(failed.lastErrorCode).toBe("EROLLEDBACK");
    expect(await readFile(file, "utf8")).toBe(MANIFEST);
    expect(f.fake.containers.get("archy-web")).toMatchObject({ id: before.id, state: "running" });
    const updates = new UpdatesStore(f.dir);
    expect(await updates.blocked("web")).toMatchObject([{ imageId: badId }]);
    // A pass afterwards: the old container matches the manifest, nothing to do.
    await f.settle(r.reconcileAll());
    expect(f.fake.containers.get("archy-web")!.id).toBe(before.id);
    // Named again: the block gives way to the owner's word (tried, and rolled back again).
    const again = await f.settle((await r.update("web", { to: V2 })).done);
    expect(again.lastErrorCode).toBe("EROLLEDBACK");
    expect(again.lastError).toMatch(/^rolled back: the new image failed its gate/);
  });

  it("a reference that names no image is refused before anything changes", async () => {
    const { r, before } = await setup();
    await expect(r.update("web", { to: "-x" })).rejects.toMatchObject({ code: "EBADREF" });
    expect(f.fake.containers.get("archy-web")!.id).toBe(before.id);
    expect(await new UpdatesStore(f.dir).journals()).toEqual({});
  });

  it("a crash after the gate passed: the next process writes the manifest and keeps the new container", async () => {
    const { r, file } = await setup();
    const newId = f.fake.publish(V2);
    let hung = false;
    f.fake.hangNext("removeContainer", { match: (n) => n === "archy-web.prev" && (hung = true) });
    void (await r.update("web", { to: ":2" })).done.catch(() => undefined);
    for (let i = 0; !hung; i++) {
      if (i > 5_000) throw new Error("the update never reached the removal of the kept container");
      await f.clock.advance(10);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await readFile(file, "utf8")).toBe(MANIFEST); // not yet
    const second = f.make([], { apps: undefined, manifestsDir: join(f.dir, "apps") });
    await f.settle(second.reconcileAll());
    expect(await readFile(file, "utf8")).toContain(`image: ${V2} # pinned by hand`);
    expect([...f.fake.containers.keys()]).toEqual(["archy-web"]);
    expect(f.fake.containers.get("archy-web")).toMatchObject({ imageId: newId, state: "running" });
  });
});
