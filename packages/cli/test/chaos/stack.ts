// The torture stack: seven apps on an isolated podman store (dependencies,
// `tcp` / `http` / `cmd` health checks, one that crash-loops, one pulled from
// a real registry that the owner updates) plus one the owner installs and
// removes. Short intervals, back-off, gates and stop timeouts, so a round
// converges in seconds.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createPodmanStore,
  freePort,
  pushTestImage,
  startRegistry,
  tempDir,
  type PodmanStore,
} from "@archy/test-utils";
import { frozenCli } from "./cli-copy.js";

export const CHAOS_IMAGE = "localhost/archy-chaos:1";

interface AppDef {
  id: string;
  dependsOn: string[];
  /** Listens on 8080 inside the container (published on a free host port). */
  serves: boolean;
  check: "tcp" | "http" | "cmd" | null;
  /** Exits non-zero a moment after each start. */
  crashLoops: boolean;
  /** Ignores SIGTERM (busybox sleep as PID 1): every stop costs its stop_timeout. */
  ignoresTerm: boolean;
  /** Its image comes from the stack's registry, where the owner pushes new ones (`archy update`). */
  fromRegistry: boolean;
}

const def = (id: string, d: Partial<AppDef> = {}): AppDef => ({
  id,
  dependsOn: [],
  serves: true,
  check: null,
  crashLoops: false,
  ignoresTerm: false,
  fromRegistry: false,
  ...d,
});

/** The apps in the manifests folder from the start. */
export const BASE_APPS: readonly AppDef[] = [
  def("db", { check: "tcp" }),
  def("api", { dependsOn: ["db"], check: "http" }),
  def("web", { dependsOn: ["api"], check: "cmd" }),
  def("cache"),
  def("worker", { serves: false, ignoresTerm: true }),
  def("flaky", { serves: false, crashLoops: true }),
  def("shop", { check: "http", fromRegistry: true }),
];
/** The app the owner updates. */
export const UPDATED = "shop";
/** The app the owner installs (`archy install`) and removes (`archy remove`). */
export const EXTRA_APP = def("extra");
export const ALL_APPS: readonly AppDef[] = [...BASE_APPS, EXTRA_APP];
export const appDef = (id: string) => ALL_APPS.find((a) => a.id === id)!;
/** Apps whose manifest the owner edits (an env value) before `archy up`. */
export const EDITABLE = ["db", "api", "web", "cache", "worker"] as const;

function manifest(app: AppDef, port: number | null, edit: number, registryImage: string): string {
  const command = app.crashLoops
    ? '["sh", "-c", "sleep 1; exit 3"]'
    : app.ignoresTerm
      ? '["sleep", "3600"]'
      : `["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]`;
  const check =
    app.check === "tcp"
      ? ["tcp: { port: 8080 }"]
      : app.check === "http"
        ? ["http: { port: 8080, path: /index.html }"]
        : app.check === "cmd"
          ? ['cmd: ["wget", "-qO-", "http://127.0.0.1:8080/index.html"]']
          : [];
  return [
    "app:",
    `  id: ${app.id}`,
    `  name: ${app.id}`,
    '  version: "1"',
    ...(app.dependsOn.length ? [`  depends_on: [${app.dependsOn.join(", ")}]`] : []),
    "  container:",
    ...(app.fromRegistry
      ? [`    image: ${registryImage}`]
      : [`    image: ${CHAOS_IMAGE}`, "    pull: never"]),
    `    command: ${command}`,
    `    env: { EDIT: "${edit}" }`,
    ...(port !== null ? [`    ports: ["127.0.0.1:${port}:8080"]`] : []),
    "    stop_timeout: 1s",
    ...(check.length
      ? [
          "    healthcheck:",
          `      ${check[0]}`,
          "      interval: 500ms",
          "      timeout: 1s",
          "      retries: 3",
          "      start_period: 0s",
        ]
      : []),
    "  restart:",
    "    policy: always",
    "    backoff: { initial: 300ms, max: 2s, reset: 5s }",
    // An edit goes live through the gate: a kill may land in it (and a crash-looping app fails it).
    "  update: { gate: 2s, timeout: 1m }",
    "",
  ].join("\n");
}

export interface ChaosStack {
  store: PodmanStore;
  /** The archy program run (a copy of the build, see cli-copy.ts). */
  bin: string;
  /** Temporary folder with `apps/` (the manifests folder), `extra.yaml` and `state/`. */
  dir: string;
  manifestsDir: string;
  stateDir: string;
  /** The file `archy install` is given. */
  extraFile: string;
  /** Environment for the archy binary. */
  env: Record<string, string>;
  /** The edit number each app's manifest carries now. */
  edits: Map<string, number>;
  /** Rewrites an app's manifest with a new env value (its config hash changes). */
  edit(id: string, value: number): Promise<void>;
  /** Pushes a new image for the updated app: a good one, or one whose process cannot start (no shell). */
  publish(good: boolean, n: number): Promise<void>;
  cleanup(): Promise<void>;
}

export async function createChaosStack(): Promise<ChaosStack> {
  const cli = await frozenCli();
  const store = await createPodmanStore({ buildImage: false });
  const work = await tempDir("archy-chaos-");
  const registry = await startRegistry();
  const registryImage = `${registry.host}/chaos/${UPDATED}:1`;
  const publish = (good: boolean, n: number) =>
    pushTestImage(store, registry, registryImage, {
      name: `${UPDATED}-${n}-${good ? "good" : "bad"}`,
      extra: good ? `RUN echo ${n} > /www/v\n` : 'RUN ["/bin/busybox", "rm", "/bin/sh"]\n',
    }).then(() => undefined);
  try {
    await publish(true, 0);
    const ctx = await store.imageContext("chaos");
    await store.podman(["build", "--quiet", "--tag", CHAOS_IMAGE, ctx]);
    const manifestsDir = join(work.path, "apps");
    await mkdir(manifestsDir);
    const ports = new Map<string, number>();
    for (const a of ALL_APPS) if (a.serves) ports.set(a.id, await freePort());
    const edits = new Map(ALL_APPS.map((a) => [a.id, 0]));
    const write = (file: string, app: AppDef) =>
      writeFile(file, manifest(app, ports.get(app.id) ?? null, edits.get(app.id)!, registryImage));
    for (const a of BASE_APPS) await write(join(manifestsDir, `${a.id}.yaml`), a);
    const extraFile = join(work.path, "extra.yaml");
    await write(extraFile, EXTRA_APP);
    const stateDir = join(work.path, "state");
    return {
      store,
      bin: cli.bin,
      dir: work.path,
      manifestsDir,
      stateDir,
      extraFile,
      env: {
        ...(process.env as Record<string, string>),
        ...store.archyEnv,
        ...registry.env,
        ARCHY_STATE_DIR: stateDir,
        ARCHY_MANIFESTS: manifestsDir,
        NO_COLOR: "1",
      },
      edits,
      async edit(id, value) {
        edits.set(id, value);
        await write(join(manifestsDir, `${id}.yaml`), appDef(id));
      },
      publish,
      async cleanup() {
        try {
          await registry.stop();
          await store.cleanup();
        } finally {
          await work.remove();
          await cli.remove();
        }
      },
    };
  } catch (error) {
    await registry.stop();
    await store.cleanup();
    await work.remove();
    await cli.remove();
    throw error;
  }
}
