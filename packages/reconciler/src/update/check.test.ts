import { RegistryError } from "@archy/runtime-podman";
import { FakeRuntime } from "@archy/runtime-podman/testing";
import { describe, expect, it } from "vitest";
import { makeApp } from "../test-helpers.js";
import { checkUpdates } from "./check.js";

const REF = "reg.example:5000/shop/web:1";

describe("checkUpdates", () => {
  const setup = async () => {
    const fake = new FakeRuntime({ images: [REF, "localhost/db:1"] });
    const id = (await fake.imageId(REF))!;
    await fake.createContainer({
      name: "archy-web",
      image: REF,
      labels: { "io.archy.app": "web" },
    });
    await fake.startContainer("archy-web");
    const apps = [makeApp("web", { image: REF }), makeApp("db")];
    const asked: string[] = [];
    return { fake, id, apps, asked };
  };

  it("compares the digest the reference points to now with the one the app's container runs", async () => {
    const { fake, id, apps, asked } = await setup();
    const same = await checkUpdates(apps, fake, async (ref) => (asked.push(ref), `sha256:${id}`));
    expect(same).toEqual([
      {
        app: "web",
        image: REF,
        status: "up-to-date",
        running: `sha256:${id}`,
        latest: `sha256:${id}`,
      },
      { app: "db", image: "localhost/db:1", status: "local", running: null, latest: null },
    ]);
    expect(asked).toEqual([REF]); // a localhost/ image asks no registry
    const newer = await checkUpdates(apps, fake, async () => "sha256:" + "b".repeat(64));
    expect(newer[0]).toMatchObject({
      status: "update-available",
      running: `sha256:${id}`,
      latest: "sha256:" + "b".repeat(64),
    });
  });

  it("a registry that does not answer is that app's error, with its kind; the others are checked", async () => {
    const { fake, apps } = await setup();
    const other = makeApp("api", { image: "reg.example:5000/shop/api:2" });
    await fake.pullImage("reg.example:5000/shop/api:2").catch(() => undefined);
    const checks = await checkUpdates([...apps, other], fake, async (ref) => {
      if (ref === REF)
        throw new RegistryError(ref, "unauthorized", "the registry refused the credentials of bob");
      return "sha256:" + "c".repeat(64);
    });
    expect(checks[0]).toMatchObject({
      status: "error",
      problem: "unauthorized",
      error: `${REF}: the registry refused the credentials of bob`,
    });
    expect(checks[2]).toMatchObject({ app: "api", status: "update-available", running: null });
  });
});
