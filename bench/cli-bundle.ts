// Does the program still need its vendored libraries? The `archy` program as
// it is built today (execa, yaml, zod, ora, ajv and dotenv bundled into
// CommonJS files of their own in dist/bin/vendor) against the same program
// loading them from node_modules (required; imported where the library is an
// ES module only: execa 9, ora 8). Both are built from the working tree by
// packages/cli/tsup.config.ts (`programConfigs`) into a temporary folder whose
// node_modules links the installed copies, as an npm install lays them out.
// Side by side in one run, repetitions interleaved, medians:
//
// - `archy --version`: loads none of them (the control);
// - `archy ps` without a daemon, the manifests cached: execa (podman's `ps`);
// - `archy plan` with a cold manifest cache: execa, yaml and zod;
// - `archy import compose` of paperless-ngx's compose file: yaml, ajv, dotenv.
//
// ora loads only on a TTY and is not measured. `ps` and `plan` read the three
// example apps on an isolated, empty podman store, each build with its own
// state folder (the manifest cache is kept per build). Besides the wall time,
// the CPU time (user and system, of the program and the podman it runs, from
// bash's `time`): on a shared machine the wall time also holds the wait for a
// core.
//
// Runs alone with `bash scripts/pnpm.sh exec tsx bench/cli-bundle.ts` (about
// two minutes), progress on stderr; ARCHY_BENCH_QUICK=1 runs each command 3 times.
import { copyFile, mkdir, rm, symlink } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { build } from "tsup";
import { copyExamples, createPodmanStore, tempDir } from "@archy/test-utils";
import {
  installedLibrary,
  installedPackage,
  programConfigs,
  vendoredFrom,
  type Libraries,
} from "../packages/cli/tsup.config.js";
import { interleaved, medianOf } from "./lib.js";

const RUNS = process.env.ARCHY_BENCH_QUICK === "1" ? 3 : 21;
/** Untimed rounds first: the page cache, for both builds alike. */
const WARMUP = 2;
const CLI = join(import.meta.dirname, "..", "packages", "cli");
const COMPOSE = join(
  import.meta.dirname,
  "..",
  "packages/convert/test/fixtures/compose/paperless-ngx/docker-compose.yml",
);
/** What the program requires from node_modules in both builds (the daemon's log, wide tables). */
const RUNTIME_DEPENDENCIES = ["pino", "rotating-file-stream", "cli-table3"];
const BUILDS: Libraries[] = ["vendored", "external"];
const CPU_MARK = "archy-bench-cpu";

const progress = (line: string) => process.stderr.write(`cli-bundle: ${line}\n`);
const ms = (v: number) => `${v.toFixed(0)} ms`;

/** node_modules in `dir` with links to the installed copies, flat as npm installs them. */
async function linkLibraries(dir: string): Promise<void> {
  await mkdir(join(dir, "node_modules"));
  const packages = [
    ...Object.keys(vendoredFrom).map((name) => [name, installedLibrary(name).dir] as const),
    ...RUNTIME_DEPENDENCIES.map((name) => [name, installedPackage(".", name).dir] as const),
  ];
  for (const [name, target] of packages) await symlink(target, join(dir, "node_modules", name));
}

/** The program built one way into `dir` (bin/archy.js, dist/bin/cli.cjs, dist/bin/vendor). */
async function buildProgram(dir: string, libraries: Libraries): Promise<string> {
  await mkdir(join(dir, "bin"), { recursive: true });
  for (const file of ["archy.js", "package.json"])
    await copyFile(join(CLI, "bin", file), join(dir, "bin", file));
  // From the package's folder, as `tsup` there: the same relative paths in the output.
  const cwd = process.cwd();
  process.chdir(CLI);
  try {
    for (const options of programConfigs(join(dir, "dist", "bin"), libraries))
      await build({ ...options, config: false, silent: true });
  } finally {
    process.chdir(cwd);
  }
  return join(dir, "bin", "archy.js");
}

/** A markdown table, the columns padded. */
function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) console.log(line(row));
}

export async function benchCliBundle(): Promise<void> {
  const dirs = await tempDir("archy-bench-bundle-");
  const store = await createPodmanStore({ buildImage: false });
  try {
    progress(`building the program both ways into ${dirs.path}`);
    await linkLibraries(dirs.path);
    await copyExamples(dirs.path);
    const manifests = join(dirs.path, "examples", "apps");
    const bins = new Map<Libraries, string>();
    for (const libraries of BUILDS)
      bins.set(libraries, await buildProgram(join(dirs.path, libraries), libraries));

    const state = (libraries: Libraries) => join(dirs.path, `state-${libraries}`);
    const out = (libraries: Libraries) => join(dirs.path, `out-${libraries}`);
    /** The command through bash's `time`; its CPU time in ms goes to `cpu`. */
    const archy = async (libraries: Libraries, args: string[], cpu?: number[]) => {
      const bin = bins.get(libraries)!;
      const script = `TIMEFORMAT='${CPU_MARK} %3U %3S'; time "$@"`;
      const r = await execa("bash", ["-c", script, "bash", process.execPath, bin, ...args], {
        env: {
          ...process.env,
          ...store.archyEnv,
          ARCHY_STATE_DIR: state(libraries),
          ARCHY_MANIFESTS: manifests,
          NO_COLOR: "1",
        },
      });
      const m = new RegExp(`${CPU_MARK} (\\S+) (\\S+)\\s*$`).exec(r.stderr);
      if (!m) throw new Error(`no CPU time from bash's time in: ${r.stderr}`);
      cpu?.push((Number(m[1]) + Number(m[2])) * 1000);
      return r.stdout;
    };
    const commands: {
      label: string;
      args: (libraries: Libraries) => string[];
      before?: (libraries: Libraries) => Promise<unknown>;
    }[] = [
      { label: "archy --version", args: () => ["--version"] },
      { label: "archy ps (3 apps, no daemon, manifests cached)", args: () => ["ps"] },
      {
        label: "archy plan (3 apps, no daemon, cold manifest cache)",
        args: () => ["plan"],
        before: (libraries) => rm(join(state(libraries), "manifests.cache.json"), { force: true }),
      },
      {
        label: "archy import compose (paperless-ngx, 5 services)",
        args: (libraries) => ["import", "compose", COMPOSE, "--out", out(libraries)],
        before: (libraries) => rm(out(libraries), { recursive: true, force: true }),
      },
    ];

    // Both builds must do the same: the same output for each command.
    for (const c of commands) {
      const [a, b] = await Promise.all(
        BUILDS.map(async (libraries) => {
          await c.before?.(libraries);
          return (await archy(libraries, c.args(libraries))).replaceAll(out(libraries), "OUT");
        }),
      );
      if (a !== b) throw new Error(`${c.label}: the builds differ:\n${a}\n---\n${b}`);
    }

    const rows: string[][] = [];
    const loadBefore = loadavg()[0]!;
    for (const c of commands) {
      progress(`${c.label}: ${RUNS} runs each, interleaved`);
      const cpu = new Map<string, number[]>(BUILDS.map((libraries) => [libraries, []]));
      const wall = await interleaved(
        RUNS + WARMUP,
        BUILDS.map((libraries) => ({
          name: libraries,
          before: () => c.before?.(libraries) ?? Promise.resolve(),
          run: () => archy(libraries, c.args(libraries), cpu.get(libraries)),
        })),
      );
      const median = (of: Map<string, number[]>) =>
        BUILDS.map((libraries) => medianOf(of.get(libraries)!.slice(WARMUP)));
      const [wallV, wallE] = median(wall) as [number, number];
      const [cpuV, cpuE] = median(cpu) as [number, number];
      rows.push([
        c.label,
        ms(wallV),
        ms(wallE),
        ms(wallE - wallV),
        `${(wallV / wallE).toFixed(2)}x`,
        ms(cpuV),
        ms(cpuE),
        ms(cpuE - cpuV),
        `${(cpuV / cpuE).toFixed(2)}x`,
      ]);
    }
    console.log(
      `\n== The program's libraries vendored vs from node_modules (median of ${RUNS}, Node ${process.version})`,
    );
    printTable(
      [
        "command",
        "vendored (today)",
        "from node_modules",
        "saved",
        "ratio",
        "cpu vendored",
        "cpu node_modules",
        "cpu saved",
        "cpu ratio",
      ],
      rows,
    );
    console.log(
      "ratio: vendored / from node_modules; saved: what vendoring takes off the command; " +
        "cpu: user + system of the program and its podman. " +
        `Load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after, ` +
        `${cpus().length} cores.`,
    );
  } finally {
    await store.cleanup();
    await dirs.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchCliBundle();
