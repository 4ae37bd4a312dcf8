import { execFile } from "node:child_process";
import { mkdtemp, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createDirsHook } from "./map-volumes.js";
import { app, failure, imp, warned } from "./test-helpers.js";

const run = promisify(execFile);

describe("ports", () => {
  it("maps the short syntax", async () => {
    const r = await imp([
      "services:",
      "  web:",
      "    image: nginx",
      "    ports: ['8080:80', '127.0.0.1:8443:443', '53:53/udp', '[::1]:9000:9000', ':2283:2283', '9090']",
    ]);
    expect(app(r).container.ports).toEqual([
      "8080:80",
      "127.0.0.1:8443:443",
      "53:53/udp",
      "[::1]:9000:9000",
      "2283:2283",
    ]);
    expect(r.warnings).toMatchObject([
      {
        path: "services.web.ports[5]",
        message: expect.stringContaining("container port 9090 has no host port"),
      },
    ]);
  });

  it("maps the long syntax", async () => {
    const r = await imp([
      "services:",
      "  web:",
      "    image: nginx",
      "    ports:",
      "      - { target: 80, published: 8080 }",
      "      - { target: 53, published: '5353', protocol: udp, host_ip: 127.0.0.1 }",
      "      - { target: 81, published: 8081, name: web, app_protocol: http }",
      "      - { target: 82 }",
    ]);
    expect(app(r).container.ports).toEqual(["8080:80", "127.0.0.1:5353:53/udp", "8081:81"]);
    expect(warned(r)).toEqual([
      "services.web.ports[2].name",
      "services.web.ports[2].app_protocol",
      "services.web.ports[3]",
    ]);
  });

  it("refuses port ranges with EUNSUPPORTED at the port", async () => {
    const e = await failure([
      "services:",
      "  web:",
      "    image: nginx",
      "    ports:",
      "      - '8000-8010:8000-8010'",
      "      - { target: 80, published: '80-81' }",
    ]);
    expect(e.code).toBe("EUNSUPPORTED");
    expect(e.locations.map((l) => `${l.line}:${l.column} ${l.path}`)).toEqual([
      "5:9 services.web.ports[0]",
      "6:9 services.web.ports[1]",
    ]);
    expect(e.locations[0]!.message).toContain("port ranges are not supported");
  });
});

describe("volumes", () => {
  it("maps named volumes to <project>_<name>, external and name: to their own, binds to absolute paths", async () => {
    const r = await imp(
      [
        "services:",
        "  web:",
        "    image: nginx",
        "    volumes:",
        "      - data:/data",
        "      - shared:/shared:ro",
        "      - renamed:/renamed",
        "      - ./conf:/etc/nginx:ro",
        "      - ~/certs:/certs",
        "      - /var/run/docker.sock:/var/run/docker.sock",
        "      - { type: bind, source: ../logs, target: /logs, read_only: true }",
        "      - { type: volume, source: data, target: /data2 }",
        "      - /anonymous",
        "      - { type: tmpfs, target: /tmp }",
        "volumes:",
        "  data:",
        "  shared: { external: true }",
        "  renamed: { name: my-volume, driver: local }",
      ],
      { HOME: "/home/owner" },
    );
    expect(app(r).container.volumes).toEqual([
      "stack_data:/data",
      "shared:/shared:ro",
      "my-volume:/renamed",
      "/srv/stack/conf:/etc/nginx:ro",
      "/home/owner/certs:/certs",
      "/var/run/docker.sock:/var/run/docker.sock",
      "/srv/logs:/logs:ro",
      "stack_data:/data2",
    ]);
    expect(warned(r)).toEqual(["services.web.volumes[8]", "services.web.volumes[9]"]);
    // The host folders compose would create: short-syntax binds only (long syntax: create_host_path).
    expect(app(r).hooks).toEqual({
      pre_start: [
        [
          "/bin/sh",
          "-c",
          'for p in "$@"; do [ -e "$p" ] || mkdir -p -- "$p" || exit 1; done',
          "archy-bind-folders",
          "/srv/stack/conf",
          "/home/owner/certs",
          "/var/run/docker.sock",
        ],
      ],
    });
  });

  it("refuses a named volume the top level does not declare (as compose does)", async () => {
    const e = await failure([
      "services:",
      "  web:",
      "    image: nginx",
      "    volumes: [data:/data]",
    ]);
    expect(e.code).toBe("ECOMPOSE");
    expect(e.locations[0]).toMatchObject({
      line: 4,
      column: 15,
      message: expect.stringContaining('"data"'),
    });
  });
});

describe("the bind folders hook", () => {
  it("makes missing folders and leaves existing files and folders alone", async () => {
    const dir = await mkdtemp(join(tmpdir(), "archy-binds-"));
    await writeFile(join(dir, "file"), "x");
    const hook = createDirsHook([join(dir, "new/deep"), join(dir, "file"), dir])!;
    await run(hook[0]!, hook.slice(1));
    expect((await stat(join(dir, "new/deep"))).isDirectory()).toBe(true);
    expect((await stat(join(dir, "file"))).isFile()).toBe(true);
    expect(createDirsHook([])).toBeUndefined();
  });
});
