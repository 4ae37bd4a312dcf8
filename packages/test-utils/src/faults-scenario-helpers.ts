// Helpers of the "podman that fails" scenario (faults-scenario.ts).
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";

/** mulberry32: a small seeded generator for the scenario's own choices. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** One request on the daemon's socket (GET unless `POST …`): its status, or an error after `timeoutMs`. */
export function get(
  socketPath: string,
  target: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const [method, path] = target.startsWith("POST ") ? ["POST", target.slice(5)] : ["GET", target];
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** Live descendants of `pid` with their command lines. */
export function descendants(pid: number): { pid: number; argv: string[] }[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error; // it ended meanwhile
    }
  }
  const out: { pid: number; argv: string[] }[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent !== p) continue;
      let argv: string[] = [];
      try {
        argv = readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0").filter(Boolean);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      out.push({ pid: child, argv });
      walk(child);
    }
  };
  walk(pid);
  return out;
}

export function manifest(id: string, image: string): string {
  return [
    "app:",
    `  id: ${id}`,
    `  name: ${id}`,
    '  version: "1"',
    "  container:",
    `    image: ${image}`,
    `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
    "    pull: never",
    "    stop_timeout: 1s",
    "  restart:",
    "    policy: always",
    "    backoff: { initial: 500ms, max: 2s, reset: 10s }",
    "",
  ].join("\n");
}
