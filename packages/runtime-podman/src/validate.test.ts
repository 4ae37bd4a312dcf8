import { describe, expect, it } from "vitest";
import { createArgs } from "./args.js";
import { InvalidArgumentError, RuntimeError } from "./errors.js";
import type { ContainerSpec } from "./types.js";
import { assertContainerName, assertImage, assertSpec } from "./validate.js";

const base: ContainerSpec = { name: "archy-web", image: "localhost/web:1.0" };

describe("validation: nothing a manifest says becomes a podman flag", () => {
  it.each(["-rf", "--privileged", "a b", "", "../x", "x/y"])(
    "container name %j is refused",
    (name) => {
      expect(() => assertContainerName(name)).toThrow(InvalidArgumentError);
    },
  );

  it.each(["--privileged", "-x", "a b", ""])("image %j is refused", (image) => {
    expect(() => assertImage(image)).toThrow(InvalidArgumentError);
  });

  it("a value starting with '-' says why", () => {
    const err = (() => {
      try {
        assertSpec({ ...base, network: "--net=host" });
      } catch (e) {
        return e;
      }
    })();
    expect(RuntimeError.isInstance(err)).toBe(true);
    expect((err as InvalidArgumentError).code).toBe("EINVALIDARGUMENT");
    expect((err as Error).message).toMatch(/must not start with '-'/);
  });

  it.each<[string, Partial<ContainerSpec>]>([
    ["env name", { env: { "-e": "x" } }],
    ["label", { labels: { "--x": "y" } }],
    ["port", { ports: [{ hostPort: 0, containerPort: 80, protocol: "tcp" }] }],
    ["host ip", { ports: [{ hostIp: "--ip", hostPort: 80, containerPort: 80, protocol: "tcp" }] }],
    ["volume source", { volumes: [{ source: "-v", target: "/data" }] }],
    ["volume target", { volumes: [{ source: "data", target: "relative" }] }],
    ["user", { user: "-u" }],
    ["capability", { capAdd: ["--all"] }],
    ["stop signal", { stopSignal: "-9" }],
  ])("bad %s is refused", (_f, extra) => {
    expect(() => assertSpec({ ...base, ...extra })).toThrow(InvalidArgumentError);
  });

  it("a good spec passes", () => {
    expect(() =>
      assertSpec({
        ...base,
        env: { A: "-anything goes in a value" },
        volumes: [{ source: "/srv/x", target: "/x", readOnly: true }],
        user: "1000:1000",
        capDrop: ["ALL"],
        stopSignal: "SIGINT",
      }),
    ).not.toThrow();
  });
});

describe("createArgs", () => {
  it("joins every value to its flag and puts the image after --", () => {
    const args = createArgs({
      ...base,
      command: ["--help", "-x"],
      entrypoint: ["/bin/sh", "-c"],
      env: { GREETING: "hi there", TOKEN: "-s3cret" },
      labels: { "io.archy.app": "web" },
      ports: [
        { hostIp: "127.0.0.1", hostPort: 18080, containerPort: 8080, protocol: "tcp" },
        { hostIp: "::1", hostPort: 53, containerPort: 53, protocol: "udp" },
      ],
      volumes: [
        { source: "data", target: "/data" },
        { source: "/etc/x", target: "/x", readOnly: true },
      ],
      network: "host",
      user: "1000",
      capAdd: ["NET_ADMIN"],
      capDrop: ["ALL"],
      readOnly: true,
      stopTimeout: 5,
      stopSignal: "SIGINT",
      healthcheck: {
        cmd: ["wget", "-qO-", "http://127.0.0.1:8080/"],
        intervalMs: 10_000,
        timeoutMs: 2_500,
        retries: 3,
        startPeriodMs: 500,
      },
    });
    expect(args).toEqual([
      "create",
      "--name=archy-web",
      "--label=io.archy.app=web",
      "--env=GREETING=hi there",
      "--env=TOKEN=-s3cret",
      "--publish=127.0.0.1:18080:8080/tcp",
      "--publish=[::1]:53:53/udp",
      "--volume=data:/data",
      "--volume=/etc/x:/x:ro",
      "--network=host",
      "--user=1000",
      "--cap-add=NET_ADMIN",
      "--cap-drop=ALL",
      "--read-only",
      "--stop-timeout=5",
      "--stop-signal=SIGINT",
      '--entrypoint=["/bin/sh","-c"]',
      '--health-cmd=["wget","-qO-","http://127.0.0.1:8080/"]',
      "--health-interval=disable",
      "--health-timeout=3s",
      "--health-retries=3",
      "--health-start-period=1s",
      "--",
      "localhost/web:1.0",
      "--help",
      "-x",
    ]);
  });

  it('"run" builds `podman run --detach` with exactly the arguments of create', () => {
    const spec = {
      ...base,
      env: { A: "1" },
      ports: [{ hostPort: 80, containerPort: 8080, protocol: "tcp" as const }],
      command: ["sleep", "1"],
    };
    const create = createArgs(spec);
    expect(createArgs(spec, "run")).toEqual(["run", "--detach", ...create.slice(1)]);
    expect(create[0]).toBe("create");
  });
});
