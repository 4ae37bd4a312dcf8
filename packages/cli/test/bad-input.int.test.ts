// The built `archy` with bad input (issue 10): arguments, manifests, snapshot
// files, a state folder path, and a podman that prints garbage, hangs or is
// missing. Each case: its exact exit code and what it must print; then the
// state files and the manifests folder are as they were, the good apps still
// plan, and no output shows a secret.
//
// podman here is a STAND-IN (a small script answering `ps` and `images` with
// empty lists): what is under test is archy's handling of bad input, not
// podman; the cases "podman prints garbage / hangs / is missing" swap the
// stand-in for a worse one. No real podman store is used.
import { createHash } from "node:crypto";
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archyHarness } from "./harness.js";

const SECRET = "hunter2-cli-s3cret";
const manifest = (id: string, extra = "") =>
  `app:\n  id: ${id}\n  name: ${id}\n  version: "1"\n${extra}  container:\n    image: localhost/${id}:1\n    env: { DB_PASSWORD: ${SECRET} }\n`;
const BOMB = `a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n${Array.from(
  { length: 9 },
  (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(", ")}]\n`,
).join("")}${manifest("bomb")}`;

let root: string;
let state: string;
let apps: string;
let files: string;
let otherUsers = "/";
const standIn = (mode: "ok" | "garbage" | "hang") => join(root, `podman-${mode}.mjs`);
const env = () => ({
  ARCHY_STATE_DIR: state,
  ARCHY_MANIFESTS: apps,
  ARCHY_PODMAN: standIn("ok"),
  ARCHY_PODMAN_TIMEOUT_MS: "3000",
  NO_COLOR: "1",
});
const { archy } = archyHarness(env);

const STAND_IN = (mode: string) => `#!/usr/bin/env node
// A podman stand-in for archy's bad-input tests (mode: ${mode}).
const args = process.argv.slice(2);
if (${JSON.stringify(mode)} === "hang") setInterval(() => {}, 1000);
else if (${JSON.stringify(mode)} === "garbage") process.stdout.write("\\u0000\\u00ffnot json {{{ [\\n");
else if (args.includes("ps") || args.includes("images")) process.stdout.write("[]\\n");
else if (args.includes("version")) process.stdout.write(JSON.stringify({ Client: { Version: "5.2.0" } }) + "\\n");
else { process.stderr.write("Error: the stand-in does not do " + args.join(" ") + "\\n"); process.exit(125); }
`;

/** Every file of the state folder that holds state (not the log or the parse cache), and every manifest, hashed. */
async function stateFiles(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [dir, label] of [
    [state, "state"],
    [apps, "apps"],
  ] as const)
    for (const name of await readdir(dir)) {
      if (name === "log" || name === "manifests.cache.json" || name.endsWith(".lock")) continue;
      const text = await readFile(join(dir, name)).catch(() => null);
      out[`${label}/${name}`] = text ? createHash("sha256").update(text).digest("hex") : "?";
    }
  return out;
}

const sha = (data: unknown) =>
  `sha256:${createHash("sha256").update(JSON.stringify(data)).digest("hex")}`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-bad-input-"));
  state = join(root, "state");
  apps = join(root, "apps");
  files = join(root, "files");
  await Promise.all([mkdir(state, { mode: 0o700 }), mkdir(apps), mkdir(files)]);
  for (const mode of ["ok", "garbage", "hang"] as const) {
    await writeFile(standIn(mode), STAND_IN(mode));
    await chmod(standIn(mode), 0o755);
  }
  await writeFile(join(apps, "db.yaml"), manifest("db"));
  await writeFile(join(apps, "api.yaml"), manifest("api", "  depends_on: [db]\n"));
  const saved = await archy(["snapshot", "save"]);
  expect(saved.exitCode, saved.stderr).toBe(0);
  const snapshot = JSON.parse(await readFile(join(state, "snapshot.json"), "utf8")) as {
    version: number;
    checksum: string;
    data: { apps: unknown[] };
  };
  const text = JSON.stringify(snapshot);
  await writeFile(join(files, "truncated.json"), text.slice(0, text.length >> 1));
  await writeFile(
    join(files, "rechecksummed.json"),
    JSON.stringify({ ...snapshot, data: { ...snapshot.data, apps: [] } }),
  );
  await writeFile(join(files, "newer.json"), JSON.stringify({ ...snapshot, version: 99 }));
  const wrong = { ...snapshot.data, apps: "all of them" };
  await writeFile(
    join(files, "wrong-types.json"),
    JSON.stringify({ ...snapshot, data: wrong, checksum: sha(wrong) }),
  );
  await writeFile(join(files, "garbage.json"), Buffer.from([0, 255, 1, 2, 3]));
  // 64 MB: an envelope whose data is one huge string, its checksum right.
  const huge = { ...snapshot.data, apps: [], padding: "x".repeat(64 * 1024 * 1024) };
  await writeFile(
    join(files, "huge.json"),
    JSON.stringify({ ...snapshot, data: huge, checksum: sha(huge) }),
  );
  await writeFile(join(files, "bomb.yaml"), BOMB);
  await writeFile(join(files, "big.yaml"), manifest("big") + `# ${"x".repeat(2 * 1024 * 1024)}\n`);
  await writeFile(join(files, "binary.yaml"), Buffer.from([0x61, 0x70, 0x00, 0xff]));
  await writeFile(join(files, "secret-bad.yaml"), manifest("web", "  nmae: x\n"));
  await writeFile(join(root, "not-a-folder"), "x");
  await mkdir(join(root, "state-0777"));
  await chmod(join(root, "state-0777"), 0o777);
  // A folder of another user: one given to nobody (as root), else / (root's).
  if (process.getuid?.() === 0) {
    otherUsers = join(root, "state-other");
    await mkdir(otherUsers, { mode: 0o700 });
    await chown(otherUsers, 65534, 65534);
  }
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Case {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** Files added to the manifests folder for this case (removed after). */
  manifests?: Record<string, string | { symlink: string }>;
  exitCode: number;
  /** Lines stderr must hold, in this order (a string exactly, a pattern matching a line). */
  stderr: (string | RegExp)[];
  /** What stdout must hold (the good apps still plan, where the command plans). */
  stdout?: RegExp;
}

const TOO_LARGE = (file: string, bytes: number) =>
  `${file}:1:1: the file is ${bytes} bytes, more than the limit of 1048576 bytes (1 MiB) for one manifest`;
const f = (name: string) => join("FILES", name);

const CASES: Case[] = [
  // ---- arguments -----------------------------------------------------------------
  {
    name: "an unknown flag",
    args: ["--frobnicate"],
    exitCode: 2,
    stderr: ["error: unknown option '--frobnicate'"],
  },
  {
    name: "an unknown command",
    args: ["frobnicate"],
    exitCode: 2,
    stderr: ["error: unknown command 'frobnicate'"],
  },
  {
    name: "an unknown flag of a command",
    args: ["up", "--force"],
    exitCode: 2,
    stderr: ["error: unknown option '--force'"],
  },
  {
    name: "--interval in words",
    args: ["daemon", "--interval", "soon"],
    exitCode: 2,
    stderr: [
      "archy: invalid --interval soon: expected a duration from 1s to 24h, such as 30s or 5m",
    ],
  },
  {
    name: "--interval 0s",
    args: ["daemon", "--interval", "0s"],
    exitCode: 2,
    stderr: ["archy: invalid --interval 0s: expected a duration from 1s to 24h, such as 30s or 5m"],
  },
  {
    name: "--interval past a day (timers overflow)",
    args: ["daemon", "--interval", "1000h"],
    exitCode: 2,
    stderr: [
      "archy: invalid --interval 1000h: expected a duration from 1s to 24h, such as 30s or 5m",
    ],
  },
  {
    name: "--interval without a value",
    args: ["daemon", "--interval"],
    exitCode: 2,
    stderr: ["error: option '--interval <duration>' argument missing"],
  },
  {
    name: "logs -n in words",
    args: ["logs", "db", "-n", "many"],
    exitCode: 2,
    stderr: ["error: option '-n, --lines <n>' argument 'many' is invalid. expected a whole number"],
  },
  {
    name: "start without an app",
    args: ["start"],
    exitCode: 2,
    stderr: ["error: missing required argument 'app'"],
  },
  {
    name: "start an unknown app",
    args: ["start", "nope"],
    exitCode: 2,
    stderr: ["archy: unknown app: nope"],
  },
  {
    name: "status of an unknown app",
    args: ["status", "nope"],
    exitCode: 2,
    stderr: ["archy: unknown app: nope"],
  },
  {
    name: "remove an unknown app",
    args: ["remove", "nope"],
    exitCode: 2,
    stderr: ["archy: unknown app: nope"],
  },
  {
    name: "an app id that reads as a path",
    args: ["stop", "../db"],
    exitCode: 2,
    stderr: ["archy: unknown app: ../db"],
  },
  // ---- manifests in the folder: the good apps still plan --------------------------------
  {
    name: "plan with an alias bomb in the folder (lead 1)",
    args: ["plan"],
    manifests: { "bomb.yaml": BOMB },
    exitCode: 2,
    stderr: [
      /bomb\.yaml:1:1: YAML aliases expand too much \(more than 100 uses\): refused as a resource exhaustion \("billion laughs"\)$/,
    ],
    stdout: /db +create[\s\S]*api +create/,
  },
  {
    name: "up with an alias bomb in the folder (lead 1)",
    args: ["up"],
    manifests: { "bomb.yaml": BOMB },
    exitCode: 2,
    stderr: [/bomb\.yaml:1:1: YAML aliases expand too much/],
  },
  {
    name: "plan with a 2 MB manifest in the folder",
    args: ["plan"],
    manifests: { "big.yaml": `${manifest("big")}# ${"x".repeat(2 * 1024 * 1024)}\n` },
    exitCode: 2,
    stderr: [
      /big\.yaml:1:1: the file is 2097282 bytes, more than the limit of 1048576 bytes \(1 MiB\) for one manifest$/,
    ],
    stdout: /db +create/,
  },
  {
    name: "plan with binary garbage in the folder",
    args: ["plan"],
    manifests: { "garbage.yaml": "\u0000\u0001binary" },
    exitCode: 2,
    stderr: [/garbage\.yaml:1:1: expected YAML text, found a NUL byte \(a binary file\?\)$/],
    stdout: /db +create/,
  },
  {
    name: "plan with a symbolic link out of the folder",
    args: ["plan"],
    manifests: { "outside.yaml": { symlink: f("secret-bad.yaml") } },
    exitCode: 2,
    stderr: [
      /outside\.yaml:1:1: a symbolic link to .*secret-bad\.yaml, outside the manifests folder: archy reads only manifests inside it \(copy the file in\)$/,
    ],
    stdout: /db +create/,
  },
  {
    name: "plan with an unknown key beside a secret",
    args: ["plan"],
    manifests: { "web.yaml": manifest("web", "  nmae: x\n") },
    exitCode: 2,
    stderr: [/web\.yaml:5:3: app\.nmae: unknown key "nmae" \(did you mean "name"\?\)$/],
    stdout: /db +create/,
  },
  {
    name: "plan with a dependency cycle",
    args: ["plan"],
    manifests: {
      "x.yaml": manifest("x", "  depends_on: [y]\n"),
      "y.yaml": manifest("y", "  depends_on: [x]\n"),
    },
    exitCode: 2,
    stderr: [
      /x\.yaml:5:16: app\.depends_on\[0\]: dependency cycle: x -> y -> x$/,
      /y\.yaml:5:16: app\.depends_on\[0\]: dependency cycle: x -> y -> x$/,
    ],
    stdout: /db +create/,
  },
  {
    name: "plan with a duplicate id",
    args: ["plan"],
    manifests: { "zz-db.yaml": manifest("db") },
    exitCode: 2,
    stderr: [/zz-db\.yaml:2:7: app\.id: duplicate app id "db" \(already declared in .*db\.yaml\)$/],
    stdout: /db +create/,
  },
  {
    name: "plan with a manifests path that is a file",
    args: ["plan"],
    env: { ARCHY_MANIFESTS: "ROOT/not-a-folder" },
    exitCode: 2,
    stderr: [/^archy: ENOTDIR: not a directory, scandir '.*not-a-folder'$/],
  },
  // ---- install FILE ------------------------------------------------------------------------
  {
    name: "install an alias bomb",
    args: ["install", f("bomb.yaml")],
    exitCode: 2,
    stderr: [/bomb\.yaml:1:1: YAML aliases expand too much/],
  },
  {
    name: "install a 2 MB file (never read past 1 MiB)",
    args: ["install", f("big.yaml")],
    exitCode: 2,
    stderr: [`archy: ${TOO_LARGE(f("big.yaml"), 2097282)}`],
  },
  {
    name: "install a binary file",
    args: ["install", f("binary.yaml")],
    exitCode: 2,
    stderr: [
      `archy: ${f("binary.yaml")}:1:3: expected YAML text, found a NUL byte (a binary file?)`,
    ],
  },
  {
    name: "install a folder",
    args: ["install", "FILES"],
    exitCode: 2,
    stderr: ["archy: FILES: not a regular file (expected a manifest)"],
  },
  {
    name: "install a file that is not there",
    args: ["install", f("none.yaml")],
    exitCode: 2,
    stderr: [/^archy: ENOENT: no such file or directory, stat '.*none\.yaml'$/],
  },
  {
    name: "install a manifest with an unknown key beside a secret",
    args: ["install", f("secret-bad.yaml")],
    exitCode: 2,
    stderr: [/secret-bad\.yaml:5:3: app\.nmae: unknown key "nmae" \(did you mean "name"\?\)$/],
  },
  // ---- snapshot files --------------------------------------------------------------------------
  {
    name: "show a truncated snapshot",
    args: ["snapshot", "show", f("truncated.json")],
    exitCode: 2,
    stderr: [/^archy: .*truncated\.json.*(JSON|json)/],
  },
  {
    name: "show a snapshot whose checksum is wrong",
    args: ["snapshot", "show", f("rechecksummed.json")],
    exitCode: 2,
    stderr: [/^archy: .*rechecksummed\.json.*checksum mismatch/],
  },
  {
    name: "show a snapshot of a newer version",
    args: ["snapshot", "show", f("newer.json")],
    exitCode: 2,
    stderr: [/^archy: .*newer\.json.*99/],
  },
  {
    name: "show a snapshot of wrong types",
    args: ["snapshot", "show", f("wrong-types.json")],
    exitCode: 2,
    stderr: [/^archy: .*wrong-types\.json/],
  },
  {
    name: "show binary garbage as a snapshot",
    args: ["snapshot", "show", f("garbage.json")],
    exitCode: 2,
    stderr: [/^archy: .*garbage\.json/],
  },
  {
    // Valid (its checksum right), only larger than the 16 MiB a snapshot may be: never read.
    name: "show a 64 MB snapshot",
    args: ["snapshot", "show", f("huge.json")],
    exitCode: 2,
    stderr: [
      /^archy: .*huge\.json is corrupt: \d+ bytes, more than the 16777216 a snapshot may hold/,
    ],
  },
  {
    name: "resurrect a truncated snapshot",
    args: ["resurrect", f("truncated.json")],
    exitCode: 2,
    stderr: [/^archy: .*truncated\.json/],
  },
  {
    name: "resurrect a snapshot of a newer version",
    args: ["resurrect", f("newer.json")],
    exitCode: 2,
    stderr: [/^archy: .*newer\.json.*99/],
  },
  {
    name: "resurrect a snapshot of wrong types",
    args: ["resurrect", f("wrong-types.json")],
    exitCode: 2,
    stderr: [/^archy: .*wrong-types\.json/],
  },
  // ---- the state folder --------------------------------------------------------------
  {
    name: "a state folder anyone may write",
    args: ["doctor"],
    env: { ARCHY_STATE_DIR: "ROOT/state-0777" },
    exitCode: 1,
    stderr: [],
    stdout: /^state folder +fail +.*state-0777 mode 0777 \(expected 0700\)$/m,
  },
  {
    name: "a state folder owned by another user",
    args: ["doctor"],
    env: { ARCHY_STATE_DIR: "OTHER" },
    exitCode: 1,
    stderr: [],
    stdout: /^state folder +fail +.*, owned by another user$/m,
  },
  {
    name: "up on a state folder owned by another user",
    args: ["up"],
    env: { ARCHY_STATE_DIR: "OTHER" },
    exitCode: 2,
    stderr: [/^archy: the state folder .* is owned by uid \d+, not by this user \(uid \d+\)/],
  },
  // ---- podman ------------------------------------------------------------------------------------
  {
    name: "podman printing garbage",
    args: ["plan"],
    env: { ARCHY_PODMAN: "ROOT/podman-garbage.mjs" },
    // podman answered, with nonsense: an operation failed (1), not "podman does not answer" (4).
    exitCode: 1,
    stderr: [
      'archy: podman ps printed output archy cannot read: not JSON ("\\u0000\u00ffnot json {{{ [")',
    ],
  },
  {
    name: "podman that hangs",
    args: ["plan"],
    env: { ARCHY_PODMAN: "ROOT/podman-hang.mjs", ARCHY_PODMAN_TIMEOUT_MS: "1000" },
    exitCode: 4,
    stderr: [/^archy: .*(timed out|did not answer|timeout)/i],
  },
  {
    name: "podman missing",
    args: ["plan"],
    env: { ARCHY_PODMAN: "ROOT/no-such-podman" },
    exitCode: 4,
    stderr: [/^archy: /],
  },
];

describe("archy with bad input", () => {
  it("has its cases", () => expect(CASES.length).toBeGreaterThanOrEqual(35));

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const sub = (s: string) =>
      s.replaceAll("FILES", files).replaceAll("ROOT", root).replaceAll("OTHER", otherUsers);
    const before = await stateFiles();
    for (const [name, content] of Object.entries(c.manifests ?? {}))
      if (typeof content === "string") await writeFile(join(apps, name), content);
      else await symlink(sub(content.symlink), join(apps, name));
    try {
      const r = await archy(
        c.args.map(sub),
        Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, sub(v)])),
      );
      const stderr = r.stderr.split("\n").filter((l) => l && !l.startsWith("(add --help"));
      expect({ exitCode: r.exitCode, stderr: r.stderr }).toMatchObject({ exitCode: c.exitCode });
      const wanted = c.stderr.map((s) => (typeof s === "string" ? sub(s) : s));
      // Each wanted line, in order, among what stderr holds (a pass also reports its failures).
      const found = wanted.map((w) =>
        stderr.findIndex((l) => (typeof w === "string" ? l === w : w.test(l))),
      );
      expect({ stderr, found }).toEqual({ stderr, found: [...found].sort((a, b) => a - b) });
      expect(
        found.every((i) => i >= 0),
        `${JSON.stringify(wanted)} in ${r.stderr}`,
      ).toBe(true);
      if (c.stdout) expect(r.stdout).toMatch(c.stdout);
      expect(r.stderr).not.toMatch(/this is a bug/);
      expect(`${r.stdout}\n${r.stderr}`).not.toContain(SECRET);
    } finally {
      for (const name of Object.keys(c.manifests ?? {})) await rm(join(apps, name));
    }
    // Nothing lost: the state files and the manifests folder are as they were.
    expect(await stateFiles()).toEqual(before);
  });

  it("after all of them, the good apps plan as before", async () => {
    const r = await archy(["plan"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/db +create[\s\S]*api +create/);
  });
});
