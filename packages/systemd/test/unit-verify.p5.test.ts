// The archy.service units renderServiceUnit writes, checked by the program
// that will read them: systemd 257's `systemd-analyze verify`, as a system
// unit and as a user's, with every value systemd parses made as awkward as a
// real host can make it (spaces, quotes, backslashes, `%`, `$` in the paths
// and the environment). verify reports what it cannot parse as a warning and
// still exits 0, so its output must be empty; two spoiled copies show that
// it does report what a quoting mistake would cause. Runs inside the Debian 13
// root (vitest project podman5).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderServiceUnit, type ManagerMode, type ServiceUnitOptions } from "../src/unit.js";

const ANALYZE = "/usr/bin/systemd-analyze";
const NODE = "/usr/bin/node";
const missing = existsSync(ANALYZE) && existsSync(NODE) ? null : `(no ${ANALYZE} or ${NODE} here)`;
if (missing !== null && process.env.CI)
  throw new Error(`CI is set, so the podman 5 tests must run, but there is ${missing}`);

let dir: string;

/** `systemd-analyze verify` of `text` as archy.service: its exit code and everything it printed. */
async function verify(text: string, mode: ManagerMode) {
  const units = await mkdtemp(join(dir, `units-${mode}-`));
  const runtime = join(units, "runtime");
  await mkdir(runtime, { mode: 0o700 });
  await writeFile(join(units, "archy.service"), text);
  const r = spawnSync(
    ANALYZE,
    [...(mode === "user" ? ["--user"] : []), "verify", "--man=no", join(units, "archy.service")],
    // A user manager needs a runtime folder, even offline.
    {
      encoding: "utf8",
      env: { ...process.env, ...(mode === "user" ? { XDG_RUNTIME_DIR: runtime } : {}) },
    },
  );
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe.skipIf(missing !== null)(
  `systemd-analyze verify on archy.service ${missing ?? ""}`,
  () => {
    let awkward: Omit<ServiceUnitOptions, "mode">;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "archy-unit-verify-"));
      // The executable's path may hold %, $ and spaces (systemd refuses quotes and backslashes there).
      const nodeDir = join(dir, "node 100% $HOME");
      await mkdir(nodeDir);
      await symlink(NODE, join(nodeDir, "node"));
      // The program's path is an argument: anything goes.
      const binDir = join(dir, 'my "apps" \\ 100% $x');
      await mkdir(binDir);
      await writeFile(join(binDir, "archy.js"), "");
      awkward = {
        nodePath: join(nodeDir, "node"),
        archyBin: join(binDir, "archy.js"),
        interval: "45s",
        http: "[::1]:7777",
        stateDir: join(dir, 'state "q" 100% $HOME \\x'),
        manifestsDir: join(dir, "apps with spaces"),
        environment: {
          ARCHY_PODMAN: "/usr/bin/podman",
          ARCHY_PODMAN_ARGS: "--root '/srv/a b' --runroot \"/run/c\"",
          CONTAINERS_CONF: "/etc/containers/100%.conf",
        },
      };
    });
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it.each<ManagerMode>(["system", "user"])(
      "the %s unit, plain: no word from verify",
      async (mode) => {
        const unit = renderServiceUnit({
          mode,
          nodePath: NODE,
          archyBin: join(dir, 'my "apps" \\ 100% $x', "archy.js"),
          stateDir: "/var/lib/archy",
          manifestsDir: "/etc/archy/apps",
        });
        expect(await verify(unit, mode)).toEqual({ status: 0, output: "" });
      },
    );

    it.each<ManagerMode>(["system", "user"])(
      "the %s unit with spaces, quotes, backslashes, %% and $ everywhere: no word from verify",
      async (mode) => {
        const unit = renderServiceUnit({ mode, ...awkward });
        expect(await verify(unit, mode)).toEqual({ status: 0, output: "" });
      },
    );

    it("verify does report the mistakes quoting prevents", async () => {
      const unit = renderServiceUnit({ mode: "system", ...awkward });
      // A path with spaces left unquoted is split, each piece refused.
      const unquoted = unit.replace(
        /^RequiresMountsFor=.*$/m,
        `RequiresMountsFor=${join(dir, "apps with spaces")}`,
      );
      expect((await verify(unquoted, "system")).output).toMatch(
        /path is not absolute, ignoring: with/,
      );
      // `$$` in the executable's path stays two dollars: the path does not exist.
      const doubled = unit.replace(/^ExecStart="([^"]*)\$HOME/m, 'ExecStart="$1$$$$HOME');
      expect(doubled).not.toBe(unit);
      expect((await verify(doubled, "system")).output).toMatch(/is not executable/);
    });
  },
);
