import { describe, expect, it } from "vitest";
import { parseManifest } from "@archy/reconciler";
import { importCompose } from "./import.js";
import { app, failure, FILE, imp, warned } from "./test-helpers.js";

describe("service basics", () => {
  it("names the app <project>-<service>, the project from the folder, and writes a header", async () => {
    const r = await imp([
      "services:",
      "  My_Web.1:",
      "    image: docker.io/library/nginx:1.27@sha256:abc",
    ]);
    expect(r.project).toBe("stack");
    expect(r.manifests[0]).toMatchObject({
      id: "stack-my-web-1",
      service: "My_Web.1",
      fileName: "stack-my-web-1.yaml",
    });
    expect(r.manifests[0]!.text.split("\n")[0]).toBe(
      `# Imported by archy from ${FILE} (service My_Web.1)`,
    );
    expect(r.manifests[0]!.text).toContain('\n  restart:\n    policy: "no"\n');
    expect(app(r)).toMatchObject({
      id: "stack-my-web-1",
      name: "My_Web.1",
      version: "1.27",
      restart: { policy: "no" },
    });
  });

  it("takes the project from the option, COMPOSE_PROJECT_NAME, then name:", async () => {
    const lines = ["name: From-File", "services:", "  web:", "    image: nginx"];
    expect((await imp(lines)).project).toBe("from-file");
    expect((await imp(lines, { COMPOSE_PROJECT_NAME: "fromenv" })).project).toBe("fromenv");
    const r = await importCompose({ file: FILE, text: lines.join("\n"), env: {}, project: "Opt" });
    expect(r.project).toBe("opt");
    expect(r.manifests[0]!.id).toBe("opt-web");
    expect(app(r).version).toBe("compose");
  });

  it("maps build (string and map forms) to absolute contexts and a local image", async () => {
    const r = await imp([
      "services:",
      "  a:",
      "    build: ./app",
      "  b:",
      "    image: registry.example/b:2",
      "    build: { context: ../b, dockerfile: Containerfile.prod, args: { X: 1 } }",
    ]);
    expect(app(r, 0).container).toMatchObject({
      image: "localhost/stack-a",
      build: { context: "/srv/stack/app" },
    });
    expect(app(r, 0).version).toBe("compose");
    expect(app(r, 1).container).toMatchObject({
      image: "registry.example/b:2",
      build: { context: "/srv/b", containerfile: "Containerfile.prod" },
    });
    expect(warned(r)).toContain("services.b.build.args");
  });

  it("maps command and entrypoint in string and list forms", async () => {
    const r = await imp([
      "services:",
      "  web:",
      "    image: redis",
      '    command: --save 60 1 --loglevel "warn ing"',
      '    entrypoint: ["/bin/sh", "-c"]',
    ]);
    // Word lists on one line, each word quoted.
    expect(r.manifests[0]!.text).toContain(
      '    command: ["--save", "60", "1", "--loglevel", "warn ing"]\n    entrypoint: ["/bin/sh", "-c"]\n',
    );
    expect(app(r).container).toMatchObject({
      command: ["--save", "60", "1", "--loglevel", "warn ing"],
      entrypoint: ["/bin/sh", "-c"],
    });
  });

  it("maps user, capabilities, read_only, stop_grace_period, stop_signal and pull_policy", async () => {
    const r = await imp([
      "services:",
      "  web:",
      "    image: nginx",
      "    user: '1000:1000'",
      "    cap_add: [NET_ADMIN]",
      "    cap_drop: [ALL]",
      "    read_only: true",
      "    stop_grace_period: 1m30s",
      "    stop_signal: SIGQUIT",
      "    pull_policy: always",
    ]);
    expect(app(r).container).toEqual({
      image: "nginx",
      pull: "always",
      network: "stack_default",
      network_aliases: ["web"],
      user: "1000:1000",
      cap_add: ["NET_ADMIN"],
      cap_drop: ["ALL"],
      read_only: true,
      stop_timeout: "90s",
      stop_signal: "SIGQUIT",
    });
    expect(r.warnings).toEqual([]);
  });
});

describe("networks and depends_on", () => {
  it("maps network_mode, the default network, one named network and several", async () => {
    const r = await imp([
      "services:",
      "  a: { image: x, network_mode: host }",
      "  b: { image: x }",
      "  c: { image: x, networks: [front] }",
      "  d: { image: x, networks: { back: { aliases: [db] }, front: } }",
      "  e: { image: x, networks: [outside] }",
      "networks:",
      "  front:",
      "  back: { internal: true }",
      "  outside: { external: true }",
    ]);
    expect(r.manifests.map((_, i) => app(r, i).container.network)).toEqual([
      "host",
      "stack_default",
      "stack_front",
      "stack_back",
      "outside",
    ]);
    // On a named network, the service answers to its compose name and aliases.
    expect(r.manifests.map((_, i) => app(r, i).container.network_aliases)).toEqual([
      undefined,
      ["b"],
      ["c"],
      ["d", "db"],
      ["e"],
    ]);
    expect(warned(r)).toEqual(["services.d.networks", "networks.back.internal"]);
  });

  it("maps depends_on in list and map forms, with the conditions' differences warned", async () => {
    const r = await imp([
      "services:",
      "  db: { image: postgres }",
      "  cache: { image: redis }",
      "  init: { image: busybox }",
      "  web:",
      "    image: nginx",
      "    depends_on:",
      "      db: { condition: service_healthy }",
      "      cache: { condition: service_started }",
      "      init: { condition: service_completed_successfully, restart: true }",
      "  worker:",
      "    image: nginx",
      "    depends_on: [db]",
    ]);
    expect(app(r, 3).depends_on).toEqual(["stack-db", "stack-cache", "stack-init"]);
    expect(app(r, 4).depends_on).toEqual(["stack-db"]);
    expect(r.warnings.map((w) => `${w.line}:${w.column} ${w.path}`)).toEqual([
      "9:16 services.web.depends_on.cache.condition",
      "10:15 services.web.depends_on.init.condition",
      "10:58 services.web.depends_on.init.restart",
      "13:5 services.worker.depends_on",
    ]);
  });

  it("refuses a dependency on a service the file does not have", async () => {
    const e = await failure(["services:", "  web:", "    image: nginx", "    depends_on: [db]"]);
    expect(e.code).toBe("ECOMPOSE");
    expect(e.locations[0]).toMatchObject({
      line: 4,
      column: 18,
      path: "services.web.depends_on[0]",
    });
  });
});

describe("healthcheck and restart", () => {
  const svc = (health: string[]) => [
    "services:",
    "  web:",
    "    image: nginx",
    "    healthcheck:",
    ...health.map((l) => `      ${l}`),
  ];

  it("maps CMD, CMD-SHELL and a string, with durations in archy's form", async () => {
    const cmd = await imp(
      svc([
        'test: ["CMD", "curl", "-f", "http://localhost"]',
        "interval: 1m30s",
        "timeout: 1500ms",
        "retries: 5",
        "start_period: 2m",
      ]),
    );
    expect(app(cmd).container.healthcheck).toEqual({
      cmd: ["curl", "-f", "http://localhost"],
      interval: "90s",
      timeout: "1500ms",
      retries: 5,
      start_period: "2m",
    });
    const shell = await imp(svc(['test: ["CMD-SHELL", "pg_isready -U $${USER}"]']));
    expect(app(shell).container.healthcheck).toEqual({
      cmd: ["/bin/sh", "-c", "pg_isready -U ${USER}"],
      timeout: "30s",
    });
    const text = await imp(svc(["test: redis-cli ping || exit 1", "start_interval: 1s"]));
    expect(app(text).container.healthcheck).toEqual({
      cmd: ["/bin/sh", "-c", "redis-cli ping || exit 1"],
      timeout: "30s",
    });
    expect(warned(text)).toEqual(["services.web.healthcheck.start_interval"]);
  });

  it("maps NONE, disable: true and a check without a test to no health check", async () => {
    for (const h of [['test: ["NONE"]'], ["disable: true", "test: [CMD, x]"], ["interval: 5s"]]) {
      const r = await imp(svc(h));
      expect(app(r).container.healthcheck).toBeUndefined();
    }
    expect(warned(await imp(svc(["interval: 5s"])))).toEqual(["services.web.healthcheck"]);
  });

  it("maps restart no, always, unless-stopped and on-failure[:N]", async () => {
    const policy = async (v: string) => {
      const r = await imp(["services:", "  web:", "    image: nginx", `    restart: ${v}`]);
      return [app(r).restart, warned(r)];
    };
    expect(await policy('"no"')).toEqual([{ policy: "no" }, []]);
    expect(await policy("always")).toEqual([{ policy: "always" }, []]);
    expect(await policy("unless-stopped")).toEqual([{ policy: "always" }, []]);
    expect(await policy("on-failure")).toEqual([{ policy: "on-failure" }, []]);
    expect(await policy("on-failure:3")).toEqual([
      { policy: "on-failure" },
      ["services.web.restart"],
    ]);
  });
});

describe("app ids", () => {
  it("refuses services whose ids collide or cannot be made valid (EUNSUPPORTED)", async () => {
    const e = await failure([
      "services:",
      "  web_1: { image: x }",
      "  web-1: { image: x }",
      `  ${"s".repeat(70)}: { image: x }`,
    ]);
    expect(e.code).toBe("EUNSUPPORTED");
    expect(e.locations.map((l) => `${l.line}:${l.column}`)).toEqual(["3:3", "4:3"]);
    expect(e.locations[0]!.message).toContain(
      'services "web_1" and "web-1" would both become the app "stack-web-1"',
    );
  });
});

describe("what cannot be mapped", () => {
  it("refuses a missing required env_file, a malformed health check test and a build URL", async () => {
    const e = await failure([
      "services:",
      "  web:",
      "    image: nginx",
      "    env_file: [nope.env]",
      "    healthcheck: { test: [FOO, x] }",
    ]);
    expect(e.code).toBe("ECOMPOSE");
    expect(e.locations.map((l) => `${l.line}:${l.column} ${l.path}`)).toEqual([
      "4:16 services.web.env_file[0]",
      "5:26 services.web.healthcheck.test",
    ]);
    expect(e.locations[0]!.message).toBe("the env file /srv/stack/nope.env does not exist");
    const url = await failure(["services:", "  web:", "    build: https://github.com/x/y.git"]);
    expect(url.code).toBe("EUNSUPPORTED");
  });

  it("warns about network_mode service:, an empty entrypoint and x- keys of a service", async () => {
    const r = await imp([
      "services:",
      "  db: { image: postgres }",
      "  web:",
      "    image: nginx",
      "    network_mode: service:db",
      "    entrypoint: []",
      "    x-note: hello",
      "    hostname: web",
    ]);
    expect(app(r, 1).container).toEqual({
      image: "nginx",
      network: "stack_default",
      network_aliases: ["web"],
    });
    expect(r.warnings.map((w) => `${w.line}:${w.column} ${w.path}`)).toEqual([
      "5:5 services.web.network_mode",
      "6:5 services.web.entrypoint",
      "7:5 services.web.x-note",
      "8:5 services.web.hostname",
    ]);
  });
});

describe("labels: watchtower's become the update policy", () => {
  it("enable true is auto, false manual, monitor-only notify; other labels are left out with a warning", async () => {
    const r = await imp([
      "services:",
      "  a:",
      "    image: nginx:1",
      "    labels: { com.centurylinklabs.watchtower.enable: 'true', traefik.enable: 'true' }",
      "  b:",
      "    image: nginx:1",
      "    labels: [com.centurylinklabs.watchtower.enable=false]",
      "  c:",
      "    image: nginx:1",
      "    labels: [com.centurylinklabs.watchtower.monitor-only=true]",
      "  d:",
      "    image: nginx:1",
    ]);
    expect([0, 1, 2, 3].map((i) => app(r, i).update)).toEqual([
      { policy: "auto" },
      { policy: "manual" },
      { policy: "notify" },
      undefined,
    ]);
    expect(warned(r)).toEqual(["services.a.labels"]);
    expect(r.warnings[0]!.message).toBe(
      "archy sets its own labels on the container: traefik.enable is left out",
    );
    // The manifests it writes are valid archy manifests.
    expect(parseManifest(r.manifests[0]!.text, "a.yaml").app?.update.policy).toBe("auto");
  });
});
