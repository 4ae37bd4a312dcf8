// A fake daemon for working on the page: serves the built assets (dist) and a
// made-up API with live events, operations, logs, and a restart.
//   node scripts/preview.mjs [port]      then open http://127.0.0.1:<port>/
//   POST /__restart                      drops every connection, refuses them for 3 s, comes back
//   POST /__rotate                       answers 401 to everything (again: back to normal)
// Not part of the package (scripts/ is not published).
import { createServer } from "node:http";
import { dashboardAsset } from "../dist/index.js";

const port = Number(process.argv[2] ?? 8787);
const iso = (ms = Date.now()) => new Date(ms).toISOString();
let pid = 4242;
let passes = 0;

const app = (id, over = {}) => ({
  id,
  name: id[0].toUpperCase() + id.slice(1),
  version: "1.0.0",
  desired: "running",
  phase: "running",
  health: null,
  restarts: 0,
  startedAt: Date.now() - 3_600_000,
  image: `localhost/${id}:1.0`,
  stopReason: null,
  lastError: null,
  since: iso(Date.now() - 3_600_000),
  nextRetryAt: null,
  dependsOn: [],
  ...over,
});

const apps = new Map(
  [
    app("db", { health: "healthy" }),
    app("web", { health: "healthy", dependsOn: ["db"], restarts: 2 }),
    app("worker", {
      phase: "backoff",
      stopReason: "backoff",
      startedAt: null,
      restarts: 5,
      lastError: "container exited with code 1 (API_TOKEN=***)",
      nextRetryAt: iso(Date.now() + 25_000),
    }),
    app("broken", {
      phase: "stopped",
      desired: "stopped",
      stopReason: "user",
      startedAt: null,
      image: "localhost/a-rather-long-image-name-for-the-narrow-screen/broken:2024.11.30-rc1",
    }),
  ].map((a) => [a.id, a]),
);

const view = (a) => ({
  id: a.id,
  name: a.name,
  version: a.version,
  desired: a.desired,
  phase: a.phase,
  health: a.health,
  restarts: a.restarts,
  uptimeSeconds: a.startedAt ? Math.floor((Date.now() - a.startedAt) / 1000) : null,
  image: a.image,
  stopReason: a.stopReason,
  lastError: a.lastError,
  since: a.since,
  nextRetryAt: a.nextRetryAt,
  dependsOn: a.dependsOn,
  container: a.startedAt
    ? {
        id: `c${a.id}`,
        name: `archy-${a.id}`,
        state: "running",
        startedAt: iso(a.startedAt),
        exitCode: null,
        imageId: "sha256:1",
      }
    : null,
});

const orphans = [{ name: "archy-legacy", app: "legacy", state: "exited" }];
const manifestErrors = [
  {
    file: "/etc/archy/apps/cache.yaml",
    line: 7,
    column: 5,
    path: "app.container.ports[1]",
    message: 'expected "[ip:]host:container[/tcp|udp]", got "80:80:80"',
    app: "cache",
  },
];
const report = () => ({
  startedAt: iso(),
  durationMs: 84,
  observed: true,
  actions: [],
  failures: [],
  skipped: [],
  converged: [...apps.keys()],
  orphans: orphans.map(({ name, app }) => ({ name, app })),
  manifestErrors,
});
let lastPass = report();
const startedAt = iso();
const info = () => ({
  pid,
  version: "0.1.0",
  podman: "5.4.2",
  startedAt,
  previousRun: { pid: 4100, startedAt: iso(Date.now() - 86_400_000), bootId: "b", ended: "crash" },
  recovery: {
    recovered: ["archy-db", "archy-web"],
    alreadyRunning: ["archy-worker"],
    skipped: [{ name: "archy-broken", reason: "app broken is stopped by the owner" }],
    failed: [{ name: "gitea", error: "no such image" }],
    at: startedAt,
    after: "crash",
  },
  lastPass,
  passes,
  notices: [],
});

const clients = new Set();
const publish = (event) => {
  for (const res of clients) res.write(`data: ${JSON.stringify(event)}\n\n`);
};
const setPhase = (a, phase, extra = {}) => {
  const previous = a.phase;
  a.phase = phase;
  a.since = iso();
  Object.assign(a, extra);
  publish({
    type: "phase",
    app: a.id,
    phase,
    previous,
    stopReason: a.stopReason,
    at: a.since,
    ...(extra.lastError && extra.error ? { error: extra.lastError } : {}),
  });
};

const send = (res, status, body) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

function operate(a, op) {
  const transitional = { start: "starting", stop: "stopping", restart: "restarting" }[op];
  const before = { phase: a.phase, stopReason: a.stopReason };
  a.desired = op === "stop" ? "stopped" : "running";
  setPhase(a, transitional);
  setTimeout(() => {
    if (a.id === "broken" && op !== "stop") {
      a.stopReason = before.stopReason;
      return setPhase(a, before.phase, {
        error: true,
        lastError: "pre_start hook ./render.sh exited with code 1: DB_PASSWORD=*** missing",
      });
    }
    if (op === "stop") {
      a.stopReason = "user";
      a.startedAt = null;
      return setPhase(a, "stopped", { lastError: null });
    }
    a.stopReason = null;
    a.startedAt = Date.now();
    a.restarts += op === "restart" ? 1 : 0;
    a.nextRetryAt = null;
    setPhase(a, "running", { lastError: null });
  }, 1500);
  return view(a);
}

function logs(req, res, a) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  let n = 0;
  const line = () =>
    res.write(
      `event: line\ndata: ${JSON.stringify({
        line: `${iso()} ${a.id}: request ${++n} handled in ${n % 7}ms`,
        stream: n % 5 === 0 ? "stderr" : "stdout",
      })}\n\n`,
    );
  if (a.id === "broken") {
    const error = { message: "app broken has no container (archy-broken)", exitCode: 1 };
    return res.end(`event: end\ndata: ${JSON.stringify({ error })}\n\n`);
  }
  for (let i = 0; i < 20; i++) line();
  if (!a.startedAt) {
    res.write("event: end\ndata: {}\n\n");
    return res.end();
  }
  const timer = setInterval(line, 1000);
  res.on("close", () => clearInterval(timer));
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
let refusing = false;
let rotated = false;
const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://preview");
  const path = url.pathname;
  if (path === "/__rotate" && req.method === "POST") {
    rotated = !rotated;
    for (const res of clients) res.end();
    return send(res, 202, { rotated });
  }
  if (rotated)
    return send(res, 401, {
      error: {
        message: "the token is missing or no longer valid: run archy dashboard",
        exitCode: 2,
      },
    });
  const asset = req.method === "GET" && dashboardAsset(path);
  if (asset) {
    res.writeHead(200, {
      "content-type": asset.contentType,
      etag: asset.etag,
      // The policy the README says the page runs under: a violation shows in the console.
      "content-security-policy": CSP,
    });
    return res.end(asset.body);
  }
  if (path === "/v1/apps")
    return send(res, 200, { apps: [...apps.values()].map(view), orphans, manifestErrors });
  if (path === "/v1/daemon") return send(res, 200, info());
  if (path === "/v1/events") {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(": archy events\n\n");
    clients.add(res);
    res.on("close", () => clients.delete(res));
    return;
  }
  if (path === "/__restart" && req.method === "POST") {
    send(res, 202, { restarting: true });
    return restart();
  }
  let m = /^\/v1\/apps\/([^/]+)\/(start|stop|restart)$/.exec(path);
  if (m && req.method === "POST") {
    const a = apps.get(decodeURIComponent(m[1]));
    if (!a) return send(res, 400, { error: { message: `unknown app: ${m[1]}`, exitCode: 2 } });
    const status = operate(a, m[2]);
    return setTimeout(() => send(res, 202, { app: status }), 150);
  }
  m = /^\/v1\/apps\/([^/]+)\/logs$/.exec(path);
  if (m) {
    const a = apps.get(decodeURIComponent(m[1]));
    if (!a) return send(res, 404, { error: { message: "no such app", exitCode: 2 } });
    return logs(req, res, a);
  }
  send(res, 404, { error: { message: `no such endpoint: ${req.method} ${path}`, exitCode: 2 } });
});

function restart() {
  if (refusing) return;
  refusing = true;
  server.close();
  server.closeAllConnections();
  setTimeout(() => {
    pid += 1;
    apps.delete("worker");
    server.listen(port, "127.0.0.1", () => (refusing = false));
  }, 3000);
}

setInterval(() => {
  passes += 1;
  lastPass = report();
  publish({ type: "pass", report: lastPass, at: iso() });
}, 5000);

server.listen(port, "127.0.0.1", () => console.log(`preview: http://127.0.0.1:${port}/`));
