// The bad-manifest corpus, field by field: wrong types, unknown keys, ids and
// images at every level of a manifest (see corpus-base.fixtures.ts).
import {
  a,
  c,
  ID_EXPECTED,
  id,
  one,
  SECRET,
  web,
  type BadManifestCase,
} from "./corpus-base.fixtures.js";

export const FIELD_CASES: BadManifestCase[] = [
  // ---- wrong types at every level -------------------------------------------
  one("app.id a number", web({ id: "42" }), "web.yaml:2:7: app.id: expected an app id"),
  one("app.id a list", web({ id: "[web]" }), "web.yaml:2:7: app.id: expected an app id"),
  one(
    "app.name a map",
    web().replace("name: Web", "name: { x: 1 }"),
    "web.yaml:3:9: app.name: expected a display name",
  ),
  one(
    "app.name empty",
    web().replace("name: Web", 'name: ""'),
    "web.yaml:3:9: app.name: expected a display name",
  ),
  one(
    "app.version a list",
    web().replace("version: 1.0.0", "version: [1]"),
    "web.yaml:4:12: app.version: expected a version",
  ),
  one(
    "app.version missing",
    web().replace("  version: 1.0.0\n", ""),
    "web.yaml:1:1: app.version: required: expected a version",
  ),
  a(
    "app.depends_on a string",
    "  depends_on: db\n",
    "web.yaml:9:15: app.depends_on: expected a list of app ids",
  ),
  a(
    "app.depends_on holding a number",
    "  depends_on: [1]\n",
    "web.yaml:9:16: app.depends_on[0]: expected an app id",
  ),
  one(
    "container a list",
    "app:\n  id: web\n  name: Web\n  version: 1\n  container: [x]\n",
    "web.yaml:5:14: app.container: expected a map with at least image",
  ),
  one(
    "container missing",
    "app:\n  id: web\n  name: Web\n  version: 1\n",
    "web.yaml:1:1: app.container: required: expected a map with at least image",
  ),
  one(
    "image missing",
    web().replace("    image: localhost/web:1\n", ""),
    "web.yaml:5:3: app.container.image: required: expected an image reference such as localhost/app:1.0",
  ),
  one(
    "image a number",
    web().replace("image: localhost/web:1", "image: 7"),
    "web.yaml:6:12: app.container.image: expected an image reference such as localhost/app:1.0",
  ),
  c(
    "build a string",
    "    build: ./web\n",
    "web.yaml:9:12: app.container.build: expected object, received string",
  ),
  c(
    "build without context",
    "    build: { containerfile: Containerfile }\n",
    "web.yaml:9:5: app.container.build.context: required: expected a folder",
  ),
  c(
    "resources.memory not a size",
    "    resources: { memory: 512q }\n",
    "web.yaml:9:26: app.container.resources.memory: expected a size such as 512m or 1g (b, k, m, g), or a number of bytes",
  ),
  c(
    "resources.memory under podman's least",
    "    resources: { memory: 1m }\n",
    "web.yaml:9:26: app.container.resources.memory: expected at least 6m (podman's smallest limit)",
  ),
  c(
    "resources.memory_reservation above memory",
    "    resources: { memory: 64m, memory_reservation: 1g }\n",
    "web.yaml:9:51: app.container.resources.memory_reservation: expected at most memory (a reservation above the limit is never met)",
  ),
  c(
    "resources.cpus a string, pids a fraction, an unknown key",
    "    resources:\n      cpus: two\n      pids: 1.5\n      swap: 1g\n",
    "web.yaml:10:13: app.container.resources.cpus: expected a number of CPUs such as 0.5 or 2",
    "web.yaml:11:13: app.container.resources.pids: expected a whole number of processes",
    /web.yaml:12:7: app.container.resources.swap: unknown key/,
  ),
  c(
    "pull sometimes",
    "    pull: sometimes\n",
    "web.yaml:9:11: app.container.pull: expected missing, always or never",
  ),
  c(
    "command a string",
    "    command: httpd -f\n",
    "web.yaml:9:14: app.container.command: expected a list of strings",
  ),
  c(
    "command empty",
    "    command: []\n",
    "web.yaml:9:14: app.container.command: expected at least one word",
  ),
  c(
    "command holding a map",
    "    command: [sh, { x: 1 }]\n",
    "web.yaml:9:19: app.container.command[1]: expected a string",
  ),
  one(
    "env a list",
    web().replace(`    env:\n      DB_PASSWORD: ${SECRET}\n`, `    env: [DB_PASSWORD=${SECRET}]\n`),
    "web.yaml:7:10: app.container.env: expected a map of NAME: value",
  ),
  c(
    "an env name with a dash",
    "      bad-name: 1\n",
    "web.yaml:9:7: app.container.env.bad-name: expected an environment variable name",
  ),
  c(
    "an env value that is a map",
    "      NESTED: { a: 1 }\n",
    "web.yaml:9:15: app.container.env.NESTED: expected a string, number or boolean",
  ),
  c(
    "ports a string",
    '    ports: "8080:80"\n',
    "web.yaml:9:12: app.container.ports: expected a list",
  ),
  c(
    "a port as a number",
    "    ports: [8080]\n",
    'web.yaml:9:13: app.container.ports[0]: expected "[ip:]host:container[/tcp|udp]"',
  ),
  c(
    "a host port above 65535",
    '    ports: ["99999:80"]\n',
    "web.yaml:9:13: app.container.ports[0]: expected ports 1-65535",
  ),
  c(
    "port 0",
    '    ports: ["0:80"]\n',
    "web.yaml:9:13: app.container.ports[0]: expected ports 1-65535",
  ),
  c(
    "a port that is words",
    '    ports: ["http"]\n',
    "web.yaml:9:13: app.container.ports[0]: expected [ip:]host:container[/tcp|udp]",
  ),
  c(
    "a port with a bad protocol",
    '    ports: ["80:80/sctp"]\n',
    "web.yaml:9:13: app.container.ports[0]: expected [ip:]host:container[/tcp|udp]",
  ),
  c(
    "a volume without a target",
    '    volumes: ["data"]\n',
    "web.yaml:9:15: app.container.volumes[0]: expected name:/path or ./host/path:/path, optionally :ro",
  ),
  c(
    "a volume with a relative target",
    '    volumes: ["data:data"]\n',
    "web.yaml:9:15: app.container.volumes[0]: expected name:/path or ./host/path:/path, optionally :ro",
  ),
  c(
    "a volume with a bad mode",
    '    volumes: ["data:/data:rx"]\n',
    "web.yaml:9:15: app.container.volumes[0]: expected name:/path or ./host/path:/path, optionally :ro",
  ),
  c(
    "a volume name with a space",
    '    volumes: ["my data:/data"]\n',
    "web.yaml:9:15: app.container.volumes[0]: expected a volume name (letters, digits, '_', '.', '-') or a host path starting with / or ./",
  ),
  c(
    "a volume name reading as a flag",
    '    volumes: ["--privileged:/data"]\n',
    "web.yaml:9:15: app.container.volumes[0]: expected a volume name (letters, digits, '_', '.', '-') or a host path starting with / or ./",
  ),
  c(
    "a network reading as a flag",
    "    network: --host\n",
    "web.yaml:9:14: app.container.network: must not start with '-' (expected bridge, host, none or a network name)",
  ),
  c(
    "read_only yes",
    '    read_only: "yes"\n',
    "web.yaml:9:16: app.container.read_only: expected true or false",
  ),
  c(
    "cap_add a flag",
    "    cap_add: [--all]\n",
    "web.yaml:9:15: app.container.cap_add[0]: must not start with '-' (expected a capability)",
  ),
  c(
    "stop_timeout a number",
    "    stop_timeout: 10\n",
    "web.yaml:9:19: app.container.stop_timeout: expected a duration such as 500ms, 10s, 5m or 1h",
  ),
  c(
    "stop_timeout in words",
    '    stop_timeout: "10 seconds"\n',
    "web.yaml:9:19: app.container.stop_timeout: expected a duration such as 500ms, 10s, 5m or 1h",
  ),
  c(
    "a negative duration",
    "    stop_timeout: -5s\n",
    "web.yaml:9:19: app.container.stop_timeout: expected a duration such as 500ms, 10s, 5m or 1h",
  ),
  c(
    "a duration in years",
    "    stop_timeout: 1y\n",
    "web.yaml:9:19: app.container.stop_timeout: expected a duration such as 500ms, 10s, 5m or 1h",
  ),
  c(
    "two health checks",
    '    healthcheck: { cmd: ["true"], tcp: { port: 1 } }\n',
    "web.yaml:9:18: app.container.healthcheck: expected exactly one of cmd, http or tcp",
  ),
  c(
    "a health check of no kind",
    "    healthcheck: { interval: 5s }\n",
    "web.yaml:9:18: app.container.healthcheck: expected exactly one of cmd, http or tcp",
  ),
  c(
    "a health-check interval in words",
    "    healthcheck: { tcp: { port: 80 }, interval: fast }\n",
    "web.yaml:9:49: app.container.healthcheck.interval: expected a duration such as 500ms, 10s, 5m or 1h",
  ),
  c(
    "a health-check interval past a day (timers overflow past 24.8 days)",
    "    healthcheck: { tcp: { port: 80 }, interval: 1000h }\n",
    "web.yaml:9:49: app.container.healthcheck.interval: expected a duration of at most 24h",
  ),
  c(
    "zero retries",
    "    healthcheck: { tcp: { port: 80 }, retries: 0 }\n",
    "web.yaml:9:48: app.container.healthcheck.retries: expected at least 1",
  ),
  c(
    "an http check on port 70000",
    "    healthcheck: { http: { port: 70000 } }\n",
    "web.yaml:9:34: app.container.healthcheck.http.port: expected 1-65535",
  ),
  c(
    "an http check path without /",
    "    healthcheck: { http: { port: 80, path: health } }\n",
    "web.yaml:9:44: app.container.healthcheck.http.path: expected a path starting with /",
  ),
  c(
    "a tcp check port in words",
    "    healthcheck: { tcp: { port: http } }\n",
    "web.yaml:9:33: app.container.healthcheck.tcp.port: expected a port number",
  ),
  a(
    "restart a string",
    "  restart: always\n",
    "web.yaml:9:12: app.restart: expected object, received string",
  ),
  a(
    "restart.policy sometimes",
    "  restart: { policy: sometimes }\n",
    "web.yaml:9:22: app.restart.policy: expected always, on-failure or no",
  ),
  a(
    "a back-off past a day",
    "  restart: { backoff: { max: 1000h } }\n",
    "web.yaml:9:30: app.restart.backoff.max: expected a duration of at most 24h",
  ),
  a(
    "hooks.pre_start a string",
    "  hooks: { pre_start: ./render.sh }\n",
    "web.yaml:9:23: app.hooks.pre_start: expected a list of commands",
  ),
  a(
    "a pre_start hook that is empty",
    "  hooks: { pre_start: [[]] }\n",
    "web.yaml:9:24: app.hooks.pre_start[0]: expected at least one word",
  ),
  a(
    "a config file reading as a flag",
    "  config_files: [--x]\n",
    "web.yaml:9:18: app.config_files[0]: must not start with '-' (expected a file path)",
  ),
  a(
    "an update policy that is not one",
    "  update: { policy: always }\n",
    "web.yaml:9:21: app.update.policy: expected manual, notify or auto",
  ),
  a(
    "an update window that is not one",
    '  update: { policy: auto, window: "Sundays 3-5" }\n',
    'web.yaml:9:35: app.update.window: expected "[days ]HH:MM-HH:MM" such as "Sun 03:00-05:00" or "Mon-Fri 02:00-04:00"',
  ),
  a(
    "an update gate as long as its timeout",
    "  update: { gate: 5m }\n",
    "web.yaml:9:19: app.update.gate: the gate (5m) must be shorter than the timeout (5m)",
  ),
  // ---- unknown keys at every level ---------------------------------------------
  one(
    "a top-level typo",
    web().replace("app:", "apps:"),
    "web.yaml:1:1: app: required: expected a map with id, name, version and container",
    'web.yaml:1:1: apps: unknown key "apps" (did you mean "app"?)',
  ),
  a(
    "app.nmae",
    "  nmae: Web\n",
    'web.yaml:9:3: app.nmae: unknown key "nmae" (did you mean "name"?)',
  ),
  a(
    "app.depends-on",
    "  depends-on: [db]\n",
    'web.yaml:9:3: app.depends-on: unknown key "depends-on" (did you mean "depends_on"?)',
  ),
  c(
    "container.imagee",
    "    imagee: x\n",
    'web.yaml:9:5: app.container.imagee: unknown key "imagee" (did you mean "image"?)',
  ),
  c(
    "container.restart (one level too deep)",
    "    restart: always\n",
    'web.yaml:9:5: app.container.restart: unknown key "restart"',
  ),
  c(
    "build.contxt",
    "    build: { contxt: . }\n",
    "web.yaml:9:5: app.container.build.context: required: expected a folder",
    'web.yaml:9:14: app.container.build.contxt: unknown key "contxt" (did you mean "context"?)',
  ),
  c(
    "healthcheck.intervall",
    "    healthcheck: { tcp: { port: 80 }, intervall: 5s }\n",
    'web.yaml:9:39: app.container.healthcheck.intervall: unknown key "intervall" (did you mean "interval"?)',
  ),
  c(
    "healthcheck.http.prot",
    "    healthcheck: { http: { prot: 80 } }\n",
    "web.yaml:9:20: app.container.healthcheck.http.port: required: expected a port number",
    'web.yaml:9:28: app.container.healthcheck.http.prot: unknown key "prot" (did you mean "port"?)',
  ),
  c(
    "healthcheck.tcp.host",
    "    healthcheck: { tcp: { port: 80, host: x } }\n",
    'web.yaml:9:37: app.container.healthcheck.tcp.host: unknown key "host"',
  ),
  a(
    "restart.polcy",
    "  restart: { polcy: always }\n",
    'web.yaml:9:14: app.restart.polcy: unknown key "polcy" (did you mean "policy"?)',
  ),
  a(
    "restart.backoff.intial",
    "  restart: { backoff: { intial: 1s } }\n",
    'web.yaml:9:25: app.restart.backoff.intial: unknown key "intial" (did you mean "initial"?)',
  ),
  a(
    "hooks.pre-start",
    "  hooks: { pre-start: [[x]] }\n",
    'web.yaml:9:12: app.hooks.pre-start: unknown key "pre-start" (did you mean "pre_start"?)',
  ),
  // ---- ids and images ---------------------------------------------------------
  id("an id ../x", "../x", ID_EXPECTED),
  id("an upper-case id", "Web", ID_EXPECTED),
  id("a 64-character id", "a".repeat(64), ID_EXPECTED),
  id("an id starting with -", "-web", ID_EXPECTED),
  id("an id ending with -", "web-", ID_EXPECTED),
  id("an empty id", '""', ID_EXPECTED),
  id("an id with a slash", "a/b", ID_EXPECTED),
  id("an id with a dot", "web.app", ID_EXPECTED),
  one(
    "an image reading as a flag",
    web().replace("localhost/web:1", '"--privileged"'),
    "web.yaml:6:12: app.container.image: must not start with '-' (expected an image reference such as localhost/app:1.0)",
  ),
  one(
    "an image with a space",
    web().replace("localhost/web:1", '"web; rm -rf /"'),
    "web.yaml:6:12: app.container.image: expected an image reference such as localhost/app:1.0",
  ),
];
