// archy update against `podman-compose pull && podman-compose up -d
// --force-recreate` (1.0.3's plain `up -d` keeps a container whose image
// changed) of the
// same change, side by side in one run, on one isolated store and a real
// registry (Debian's docker-registry on loopback). Each side serves a page on
// its own published port (so both are stop-first), probed every 20 ms:
//
// - a good new image: the downtime of each (the longest run of failed
//   probes) and whether the new version serves after;
// - a broken new image (its process exits at once): the downtime, and
//   whether anything serves 15 s later (archy rolls back; compose has no
//   rollback and leaves the broken container).
//
// Runs alone with `bash scripts/pnpm.sh exec tsx bench/update.ts` (about 2
// minutes; podman-compose from Debian must be installed), progress on
// stderr. It runs the built CLI (packages/cli/bin/archy.js).
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import {
  createPodmanStore,
  freePort,
  pushTestImage,
  startRegistry,
  tempDir,
  waitFor,
} from "@archy/test-utils";
import { APP_COMMAND, printComparison, type ComparisonRow } from "./lib.js";

const progress = (line: string) => process.stderr.write(`update: ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const AFTER_MS = 15_000;

/** Probes a page every 20 ms while `work` runs and `afterMs` after; the longest outage and the last answer. */
async function probe(
  port: number,
  work: () => Promise<unknown>,
  afterMs: number,
): Promise<{ downMs: number; last: string | null; workMs: number }> {
  let stop = false;
  let downSince: number | null = null;
  let downMs = 0;
  let last: string | null = null;
  const loop = (async () => {
    while (!stop) {
      const t = performance.now();
      const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) })
        .then(async (res) => (res.ok ? (await res.text()).trim() : null))
        .catch(() => null);
      last = r;
      if (r === null) downSince ??= t;
      else if (downSince !== null) {
        downMs = Math.max(downMs, t - downSince);
        downSince = null;
      }
      await sleep(20);
    }
    if (downSince !== null) downMs = Math.max(downMs, performance.now() - downSince);
  })();
  const t0 = performance.now();
  await work();
  const workMs = performance.now() - t0;
  await sleep(afterMs);
  stop = true;
  await loop;
  return { downMs, last, workMs };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function benchUpdate(): Promise<ComparisonRow[]> {
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const bin = join(import.meta.dirname, "..", "packages", "cli", "bin", "archy.js");
  const store = await createPodmanStore({ buildImage: false });
  const registry = await startRegistry();
  const work = await tempDir("archy-bench-update-");
  try {
    const ref = `${registry.host}/bench/web:1`;
    const env = { ...process.env, ...store.env, ...registry.env };
    const push = (name: string, extra: string) =>
      pushTestImage(store, registry, ref, { name, extra });
    const archyPort = await freePort();
    const composePort = await freePort();
    const apps = join(work.path, "apps");
    await mkdir(apps);
    const archyEnv = {
      ...env,
      ...store.archyEnv,
      ARCHY_STATE_DIR: join(work.path, "state"),
      ARCHY_MANIFESTS: apps,
      NO_COLOR: "1",
    };
    const archy = (args: string[]) =>
      execa(process.execPath, [bin, ...args], { env: archyEnv, reject: false });
    await writeFile(
      join(apps, "web.yaml"),
      `app:\n  id: web\n  name: web\n  version: "1"\n  container:\n    image: ${ref}\n    command: ${JSON.stringify(APP_COMMAND)}\n    ports: ["127.0.0.1:${archyPort}:8080"]\n    stop_timeout: 1s\n    healthcheck: { http: { port: 8080, path: / }, interval: 1s, retries: 2, start_period: 1s }\n  update: { gate: 5s, timeout: 1m }\n`,
    );
    // podman-compose calls `podman` from PATH: this one is the store's.
    const wrapper = join(work.path, "bin");
    await mkdir(wrapper);
    const real = (await execa("sh", ["-c", "command -v podman"])).stdout.trim();
    await writeFile(
      join(wrapper, "podman"),
      `#!/bin/sh\nexec ${real} ${store.globalArgs.join(" ")} "$@"\n`,
    );
    await chmod(join(wrapper, "podman"), 0o755);
    const composeDir = join(work.path, "compose");
    await mkdir(composeDir);
    await writeFile(
      join(composeDir, "compose.yaml"),
      `services:\n  web:\n    image: ${ref}\n    command: ${JSON.stringify(APP_COMMAND)}\n    ports: ["127.0.0.1:${composePort}:8080"]\n    stop_grace_period: 1s\nnetworks:\n  default:\n    external:\n      name: podman\n`,
    );
    const compose = async (...args: string[]) =>
      execa("podman-compose", ["-p", "benchupd", ...args], {
        cwd: composeDir,
        env: { ...env, PATH: `${wrapper}:${process.env.PATH ?? ""}` },
      });
    const composeUpdate = async () => {
      await compose("pull");
      // 1.0.3's `up -d` leaves a container whose image changed as it is: recreate it.
      await compose("up", "-d", "--force-recreate");
    };
    const page = (port: number) =>
      fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) })
        .then(async (r) => (r.ok ? (await r.text()).trim() : null))
        .catch(() => null);

    progress("v1 up on both sides");
    await push("one", "RUN echo one > /www/index.html\n");
    const up = await archy(["up"]);
    if (up.exitCode !== 0) throw new Error(`archy up: ${up.stderr}`);
    await composeUpdate();
    for (const port of [archyPort, composePort])
      await waitFor(async () => (await page(port)) === "one", { timeoutMs: 60_000, what: "v1" });

    progress("a good v2");
    await push("two", "RUN echo two > /www/index.html\n");
    const goodArchy = await probe(archyPort, () => archy(["update", "web"]), 2_000);
    const goodCompose = await probe(composePort, composeUpdate, 2_000);

    progress("a broken v3 (its process exits at once)");
    // No shell: the app's `sh -c` cannot start (busybox would still run its httpd applet without the link).
    await push("three", 'RUN ["/bin/busybox", "rm", "/bin/sh"]\n');
    const badArchy = await probe(archyPort, () => archy(["update", "web"]), AFTER_MS);
    const badCompose = await probe(
      composePort,
      () => composeUpdate().catch(() => undefined),
      AFTER_MS,
    );

    const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : "-");
    const rows: ComparisonRow[] = [
      {
        measure: "good image, stop-first: downtime",
        archy: `${s(goodArchy.downMs)} (update ${s(goodArchy.workMs)}, the gate included)`,
        alternative: `${s(goodCompose.downMs)} (pull && up -d ${s(goodCompose.workMs)})`,
        ratio: ratio(goodArchy.downMs, goodCompose.downMs),
        target: "<= 1.5x",
        result: goodArchy.downMs <= 1.5 * goodCompose.downMs ? "PASS" : "MISS",
      },
      {
        measure: "good image: serves the new version after",
        archy: String(goodArchy.last),
        alternative: String(goodCompose.last),
        ratio: "-",
        target: "two",
        result: goodArchy.last === "two" ? "PASS" : "MISS",
      },
      {
        measure: "broken image: downtime (the rollback's)",
        archy: s(badArchy.downMs),
        alternative: `${s(badCompose.downMs)}${badCompose.last === null ? " and counting" : ""}`,
        ratio: ratio(badArchy.downMs, badCompose.downMs),
        target: "old version back",
        result: badArchy.last === "two" ? "PASS" : "MISS",
      },
      {
        measure: `broken image: what serves ${AFTER_MS / 1000} s later`,
        archy: String(badArchy.last),
        alternative: String(badCompose.last),
        ratio: "-",
        target: "two",
        result: badArchy.last === "two" ? "PASS" : "MISS",
      },
    ];
    const podman = (await store.podman(["--version"])).stdout.trim();
    const archyVersion = (await archy(["--version"])).stdout.trim();
    printComparison("archy update against podman-compose pull && up -d --force-recreate", rows, {
      seconds: (performance.now() - started) / 1000,
      archy: archyVersion,
      podman,
      load: [loadBefore, loadavg()[0]!],
    });
    await compose("down").catch(() => undefined);
    return rows;
  } finally {
    await registry.stop();
    await store.cleanup();
    await work.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchUpdate();
