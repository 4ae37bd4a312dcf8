import { describe, expect, it } from "vitest";
import { parseManifest } from "./parse.js";
import { formatManifestError } from "./positions.js";

const full = `# a full manifest
app:
  id: hello
  name: Hello
  version: 1.0
  depends_on: [db]
  container:
    image: localhost/hello:1.0
    build:
      context: ./hello
      containerfile: Containerfile
    command: ["httpd", "-f", "-p", "8080"]
    env: { GREETING: hi, PORT: 8080, DEBUG: false }
    ports: ["18080:8080", "127.0.0.1:9000:9000/udp", "[::1]:9001:9001"]
    volumes: ["hello-data:/data", "./conf:/etc/hello:ro", "/srv/x:/x"]
    network: bridge
    stop_timeout: 30s
    healthcheck:
      cmd: ["wget", "-qO-", "http://127.0.0.1:8080/"]
      interval: 10s
      timeout: 5s
      retries: 3
      start_period: 500ms
  restart:
    policy: on-failure
    backoff: { initial: 1s, max: 1m, reset: 1h }
  hooks:
    pre_start:
      - ["./render-config.sh"]
  config_files: ["./conf/hello.conf"]
  update:
    policy: auto
    gate: 45s
    timeout: 10m
    window: "Sun 03:00-05:00"
`;

const minimal = (id: string, extra = "") =>
  `app:\n  id: ${id}\n  name: ${id}\n  version: "1"\n  container:\n    image: localhost/${id}:1\n${extra}`;

function errorsOf(text: string): string[] {
  return parseManifest(text, "apps/x.yaml").errors.map(formatManifestError);
}

describe("parseManifest", () => {
  it("reads every field of SPEC section 2, normalised", () => {
    const { app, errors } = parseManifest(full, "/etc/archy/apps/hello.yaml");
    expect(errors).toEqual([]);
    expect(app).toMatchObject({
      id: "hello",
      name: "Hello",
      version: "1.0",
      dependsOn: ["db"],
      container: {
        image: "localhost/hello:1.0",
        build: { context: "/etc/archy/apps/hello", containerfile: "Containerfile" },
        pull: "never",
        command: ["httpd", "-f", "-p", "8080"],
        env: { GREETING: "hi", PORT: "8080", DEBUG: "false" },
        ports: [
          { hostPort: 18080, containerPort: 8080, protocol: "tcp" },
          { hostIp: "127.0.0.1", hostPort: 9000, containerPort: 9000, protocol: "udp" },
          { hostIp: "::1", hostPort: 9001, containerPort: 9001, protocol: "tcp" },
        ],
        volumes: [
          { source: "hello-data", target: "/data" },
          { source: "/etc/archy/apps/conf", target: "/etc/hello", readOnly: true },
          { source: "/srv/x", target: "/x" },
        ],
        network: "bridge",
        stopTimeoutMs: 30_000,
        healthcheck: {
          kind: "cmd",
          cmd: ["wget", "-qO-", "http://127.0.0.1:8080/"],
          intervalMs: 10_000,
          timeoutMs: 5_000,
          retries: 3,
          startPeriodMs: 500,
        },
      },
      restart: {
        policy: "on-failure",
        backoff: { initialMs: 1_000, maxMs: 60_000, resetMs: 3_600_000 },
      },
      hooks: { preStart: [["./render-config.sh"]] },
      configFiles: ["/etc/archy/apps/conf/hello.conf"],
      update: {
        policy: "auto",
        gateMs: 45_000,
        timeoutMs: 600_000,
        window: { text: "Sun 03:00-05:00", days: [0], startMin: 180, endMin: 300 },
      },
      file: "/etc/archy/apps/hello.yaml",
      dir: "/etc/archy/apps",
    });
  });

  it("network aliases: DNS names on a named network, in the container spec only when given", async () => {
    const { toContainerSpec } = await import("./spec.js");
    const { app } = parseManifest(
      minimal("web", "    network: shop_default\n    network_aliases: [web, www.shop]\n"),
      "apps/web.yaml",
    );
    expect(app?.container.networkAliases).toEqual(["web", "www.shop"]);
    expect(toContainerSpec(app!).networkAliases).toEqual(["web", "www.shop"]);
    const plain = parseManifest(minimal("web"), "apps/web.yaml").app!;
    expect(plain.container.networkAliases).toEqual([]);
    expect(toContainerSpec(plain)).not.toHaveProperty("networkAliases");
  });

  it("applies the documented defaults", () => {
    const { app } = parseManifest(minimal("web"), "web.yaml");
    expect(app?.update).toEqual({
      policy: "manual",
      gateMs: 30_000,
      timeoutMs: 300_000,
      window: null,
    });
    expect(app?.container).toMatchObject({
      pull: "missing",
      network: "bridge",
      stopTimeoutMs: 10_000,
      healthcheck: null,
      env: {},
      ports: [],
      volumes: [],
    });
    expect(app?.restart).toEqual({
      policy: "always",
      backoff: { initialMs: 1_000, maxMs: 60_000, resetMs: 60_000 },
    });
    const http = parseManifest(
      minimal("web", "    healthcheck:\n      http: { port: 8080 }\n"),
      "web.yaml",
    ).app;
    expect(http?.container.healthcheck).toEqual({
      kind: "http",
      port: 8080,
      path: "/",
      intervalMs: 30_000,
      timeoutMs: 5_000,
      retries: 3,
      startPeriodMs: 0,
    });
    const tcp = parseManifest(
      minimal("web", "    healthcheck: { tcp: { port: 5432 }, interval: 2s }\n"),
      "web.yaml",
    ).app;
    expect(tcp?.container.healthcheck).toMatchObject({
      kind: "tcp",
      port: 5432,
      intervalMs: 2_000,
    });
  });

  it("names file:line:column, the field path and what was expected", () => {
    expect(errorsOf(minimal("web", "    stop_timeout: 10\n"))).toEqual([
      "apps/x.yaml:7:19: app.container.stop_timeout: expected a duration such as 500ms, 10s, 5m or 1h",
    ]);
    expect(errorsOf(minimal("web", '    ports: ["8080:80", "eighty"]\n'))).toEqual([
      "apps/x.yaml:7:24: app.container.ports[1]: expected [ip:]host:container[/tcp|udp]",
    ]);
    expect(errorsOf("app:\n  id: web\n  name: Web\n  version: '1'\n  container: {}\n")).toEqual([
      "apps/x.yaml:5:3: app.container.image: required: expected an image reference such as localhost/app:1.0",
    ]);
  });

  it("unknown keys are errors with a did-you-mean hint", () => {
    expect(
      errorsOf(
        minimal("web", "    imagee: x\n    helthcheck: { tcp: { port: 1 } }\n    zzzzzz: 1\n"),
      ),
    ).toEqual([
      'apps/x.yaml:7:5: app.container.imagee: unknown key "imagee" (did you mean "image"?)',
      'apps/x.yaml:8:5: app.container.helthcheck: unknown key "helthcheck" (did you mean "healthcheck"?)',
      'apps/x.yaml:9:5: app.container.zzzzzz: unknown key "zzzzzz"',
    ]);
    expect(errorsOf(minimal("web").replace("  name:", "  depends-on: [db]\n  name:"))[0]).toMatch(
      /app.depends-on: unknown key "depends-on" \(did you mean "depends_on"\?\)/,
    );
  });

  it.each([
    ["an invalid id", minimal("Web_App"), /2:7: app.id: expected lower-case letters/],
    ["an id starting with -", minimal("-web"), /app.id: expected lower-case/],
    [
      "an image starting with -",
      minimal("web").replace("localhost/web:1", '"--privileged"'),
      /app.container.image: must not start with '-'/,
    ],
    [
      "a network starting with -",
      minimal("web", "    network: --host\n"),
      /app.container.network: must not start with '-'/,
    ],
    [
      "network aliases without a named network",
      minimal("web", "    network_aliases: [db]\n"),
      /7:22: app.container.network_aliases: network aliases need a named network/,
    ],
    [
      "a network alias that is no DNS name",
      minimal("web", "    network: shop\n    network_aliases: [db_1]\n"),
      /app.container.network_aliases\[0\]: expected a DNS name/,
    ],
    [
      "a bad volume name",
      minimal("web", '    volumes: ["bad name:/data"]\n'),
      /app.container.volumes\[0\]: expected a volume name/,
    ],
    [
      "two health checks",
      minimal("web", '    healthcheck: { cmd: ["true"], tcp: { port: 1 } }\n'),
      /app.container.healthcheck: expected exactly one of cmd, http or tcp/,
    ],
    [
      "pull with build",
      minimal("web", "    build: { context: . }\n    pull: always\n"),
      /app.container.pull: expected never \(or no pull\) when build is given/,
    ],
    [
      "a bad restart policy",
      minimal("web") + "  restart: { policy: sometimes }\n",
      /app.restart.policy: expected always, on-failure or no/,
    ],
    [
      "a bad backoff",
      minimal("web") + "  restart: { backoff: { initial: soon } }\n",
      /app.restart.backoff.initial: expected a duration/,
    ],
    [
      "depending on itself",
      minimal("web").replace("  container:", "  depends_on: [web]\n  container:"),
      /app.depends_on\[0\]: an app cannot depend on itself/,
    ],
    ["invalid YAML", "app:\n  id: [unclosed\n", /^apps\/x.yaml:\d+:\d+: invalid YAML/],
    [
      "a duplicate key, at the repeated one",
      "app:\n  id: a\n  id: b\n",
      /^apps\/x.yaml:3:3: invalid YAML: duplicate key "id" \(first at line 2\)/,
    ],
    [
      "an empty file",
      "",
      /^apps\/x.yaml:1:1: the file is empty: expected a map with an "app:" key/,
    ],
  ])("%s", (_label, text, pattern) => {
    const errors = errorsOf(text);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join("\n")).toMatch(pattern);
  });
});
