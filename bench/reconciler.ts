// 1. A no-op pass over 30 healthy apps: podman processes used and time, as a
//    ratio to one `podman ps -a --format json`, in the same run.
// 2. Health checks: one round of 30 host-side HTTP probes against 30
//    `podman healthcheck run`, CPU seconds side by side.
// 3. The CPU a process running the loop and the checks of 30 http-checked
//    apps (10 s interval) uses over one idle minute.
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { PodmanRuntime } from "@archy/runtime-podman";
import { probeHttp, Reconciler } from "@archy/reconciler";
import { createPodmanStore, freePort, tempDir } from "@archy/test-utils";
import { median, report, time } from "./lib.js";
import { processCpu, treeCpu } from "./proc.js";

const N = 30;
const IDLE_SECONDS = Number(process.env.ARCHY_BENCH_IDLE_SECONDS ?? 60);

export async function benchReconciler(): Promise<void> {
  const store = await createPodmanStore();
  const dirs = await tempDir("archy-bench-");
  try {
    const manifests = join(dirs.path, "apps");
    await mkdir(manifests);
    const ports: number[] = [];
    for (let i = 0; i < N; i++) {
      const port = await freePort();
      ports.push(port);
      await writeFile(
        join(manifests, `app${i}.yaml`),
        `app:\n  id: app${i}\n  name: App ${i}\n  version: "1"\n  container:\n    image: ${store.image}\n    command: ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]\n    ports: ["127.0.0.1:${port}:8080"]\n    healthcheck: { http: { port: 8080 }, interval: 10s }\n`,
      );
    }
    let calls = 0;
    const runtime = new PodmanRuntime({
      globalArgs: store.globalArgs,
      env: store.env,
      onCall: () => calls++,
    });
    const r = new Reconciler({
      runtime,
      manifestsDir: manifests,
      stateDir: join(dirs.path, "state"),
      concurrency: 6,
    });
    const up = await time(() => r.reconcileAll());
    if (up.value.failures.length) throw new Error(JSON.stringify(up.value.failures));

    calls = 0;
    const noop = await r.reconcileAll();
    if (noop.actions.length) throw new Error("the second pass was not a no-op");
    const processes = calls;
    const passMs = await median(5, () => r.reconcileAll());
    const psMs = await median(5, () =>
      execa("podman", [...store.globalArgs, "ps", "-a", "--format", "json"], { env: store.env }),
    );
    report(`no-op pass over ${N} healthy apps (median of 5)`, [
      ["first pass (create + start + health)", `${(up.ms / 1000).toFixed(1)} s`],
      ["podman processes in a no-op pass", `${processes}`],
      ["archy no-op pass", `${passMs.toFixed(0)} ms`],
      ["one podman ps -a --format json", `${psMs.toFixed(0)} ms`],
      ["ratio pass / ps", `${(passMs / psMs).toFixed(2)}x`],
    ]);

    // Health checks: the same 30 containers, checked both ways.
    const names = Array.from({ length: N }, (_, i) => `app${i}`);
    for (const name of names)
      await store.podman([
        "run",
        "-d",
        "--name",
        `cmd-${name}`,
        "--health-cmd",
        '["true"]',
        "--health-interval",
        "disable",
        store.image,
        "sleep",
        "600",
      ]);
    const before = process.cpuUsage();
    await Promise.all(ports.map((p) => probeHttp("127.0.0.1", p, "/", 2_000)));
    const httpCpu = process.cpuUsage(before);
    const podmanCpu: number[] = [];
    for (const name of names) {
      const child = spawn("podman", [...store.globalArgs, "healthcheck", "run", `cmd-${name}`], {
        env: { ...process.env, ...store.env },
      });
      const pid = child.pid!;
      let last = 0;
      const sampler = setInterval(() => (last = Math.max(last, treeCpu(pid))), 5);
      await new Promise((res) => child.once("exit", res));
      clearInterval(sampler);
      podmanCpu.push(last);
    }
    const podmanTotal = podmanCpu.reduce((a, b) => a + b, 0);
    const httpTotal = (httpCpu.user + httpCpu.system) / 1e6;
    report(`one round of ${N} health checks, CPU seconds`, [
      ["archy http probes from the host", `${httpTotal.toFixed(3)} s`],
      [`podman healthcheck run x${N} (sampled, a lower bound)`, `${podmanTotal.toFixed(3)} s`],
      ["ratio podman / http", `${(podmanTotal / Math.max(httpTotal, 0.001)).toFixed(0)}x`],
    ]);
    for (const name of names) await store.podman(["rm", "-f", "-t", "0", `cmd-${name}`]);

    // The loop, idle.
    const child = spawn(
      process.execPath,
      ["bench/idle-loop.mjs", manifests, join(dirs.path, "state"), store.globalArgs.join(" ")],
      {
        env: { ...process.env, ...store.env },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`idle loop exited ${code}`)));
    });
    await new Promise((res) => setTimeout(res, 3_000));
    const loopPid = child.pid!;
    const cpu0 = processCpu(loopPid);
    const t0 = performance.now();
    await new Promise((res) => setTimeout(res, IDLE_SECONDS * 1000));
    const cpu1 = processCpu(loopPid);
    const wall = (performance.now() - t0) / 1000;
    child.kill("SIGTERM");
    const pct = (s: number) => `${((100 * s) / wall).toFixed(2)} % of a core (${s.toFixed(2)} s)`;
    report(`idle loop with ${N} http-checked apps (10 s interval), ${IDLE_SECONDS} s`, [
      ["archy process (+ the podman ps/images of its passes)", pct(cpu1.self - cpu0.self)],
      ["its podman events child (podman's own file polling)", pct(cpu1.live - cpu0.live)],
      ["together", pct(cpu1.self + cpu1.live - cpu0.self - cpu0.live)],
    ]);
  } finally {
    await store.cleanup();
    await dirs.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchReconciler();
