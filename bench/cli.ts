// archy's start-up and `ps` against podman's own, in the same run:
// `archy --version` vs `podman --version`, and `archy ps` (without and with a
// daemon) vs `podman ps -a --format json`, medians of 10 runs each.
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { createPodmanStore, tempDir, waitFor } from "@archy/test-utils";
import { median, report } from "./lib.js";

const N_APPS = 10;
const RUNS = 10;

export async function benchCli(): Promise<void> {
  const store = await createPodmanStore();
  const dirs = await tempDir("archy-bench-cli-");
  const bin = join(import.meta.dirname, "..", "packages", "cli", "bin", "archy.js");
  const env = {
    ...process.env,
    ...store.archyEnv,
    ARCHY_STATE_DIR: join(dirs.path, "state"),
    ARCHY_MANIFESTS: join(dirs.path, "apps"),
    NO_COLOR: "1",
  };
  const archy = (args: string[]) => execa(process.execPath, [bin, ...args], { env });
  const podman = (args: string[]) => execa("podman", [...store.globalArgs, ...args], { env });
  let daemon: ReturnType<typeof spawn> | null = null;
  try {
    await mkdir(env.ARCHY_MANIFESTS);
    for (let i = 0; i < N_APPS; i++) {
      await writeFile(
        join(env.ARCHY_MANIFESTS, `app${i}.yaml`),
        `app:\n  id: app${i}\n  name: App ${i}\n  version: "1"\n  container:\n    image: ${store.image}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n`,
      );
    }
    await archy(["up"]);
    const rows: [string, string][] = [];
    const pair = async (
      label: string,
      mine: () => Promise<unknown>,
      theirs: () => Promise<unknown>,
      theirLabel: string,
    ) => {
      const a = await median(RUNS, mine);
      const b = await median(RUNS, theirs);
      rows.push(
        [label, `${a.toFixed(0)} ms`],
        [theirLabel, `${b.toFixed(0)} ms`],
        [`  ratio`, `${(a / b).toFixed(2)}x`],
      );
    };
    await pair(
      "archy --version",
      () => archy(["--version"]),
      () => podman(["--version"]),
      "podman --version",
    );
    await pair(
      `archy ps (${N_APPS} apps, no daemon)`,
      () => archy(["ps"]),
      () => podman(["ps", "-a", "--format", "json"]),
      "podman ps -a --format json",
    );
    daemon = spawn(process.execPath, [bin, "daemon"], { env, stdio: "ignore" });
    await waitFor(async () => (await archy(["status", "--json"])).stdout.includes('"pid"'), {
      timeoutMs: 30_000,
      what: "daemon",
    });
    await pair(
      `archy ps (${N_APPS} apps, through the daemon)`,
      () => archy(["ps"]),
      () => podman(["ps", "-a", "--format", "json"]),
      "podman ps -a --format json",
    );
    report(`CLI start-up and ps (median of ${RUNS})`, rows);
  } finally {
    daemon?.kill("SIGTERM");
    if (daemon) await new Promise((r) => daemon!.once("exit", r));
    await store.cleanup();
    await dirs.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchCli();
