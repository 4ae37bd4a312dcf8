import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SystemdError } from "./errors.js";
import { execaRunner } from "./runner.js";
import {
  assertSystemdRunning,
  isSystemdRunning,
  parseShow,
  Systemctl,
  unitStateOf,
} from "./systemctl.js";
import { fakeRunner } from "./test-runner.js";

const SHOW = `LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled
MainPID=4242
NRestarts=3
InvocationID=0f1e2d3c4b5a69788796a5b4c3d2e1f0
FragmentPath=/etc/systemd/system/archy.service
NeedDaemonReload=no
Result=success
`;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    expect(SystemdError.isInstance(error)).toBe(true);
    return (error as SystemdError).code;
  }
  throw new Error("expected a SystemdError");
}

describe("parseShow and unitStateOf", () => {
  it("reads the properties", () => {
    expect(unitStateOf(parseShow(SHOW))).toEqual({
      loadState: "loaded",
      activeState: "active",
      subState: "running",
      unitFileState: "enabled",
      mainPid: 4242,
      restarts: 3,
      invocationId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
      fragmentPath: "/etc/systemd/system/archy.service",
      needDaemonReload: false,
      result: "success",
    });
  });

  it("a unit that does not exist: no PID (0), empty values are null; `=` in a value stays", () => {
    const s = unitStateOf(
      parseShow("LoadState=not-found\nActiveState=inactive\nMainPID=0\nUnitFileState=\nX=a=b\n"),
    );
    expect(s).toMatchObject({
      loadState: "not-found",
      mainPid: null,
      unitFileState: null,
      restarts: null,
      invocationId: null,
      needDaemonReload: false,
    });
    expect(parseShow("X=a=b").X).toBe("a=b");
  });
});

describe("Systemctl", () => {
  it("argument arrays, --user, --no-ask-password, and a job timeout for the calls that wait", async () => {
    const fake = fakeRunner((c) => ({ stdout: c.args.includes("show") ? SHOW : "" }));
    const sys = new Systemctl({ run: fake.run });
    const user = new Systemctl({
      run: fake.run,
      user: true,
      timeoutMs: 1_000,
      jobTimeoutMs: 9_000,
    });
    await sys.daemonReload();
    await user.enableNow("archy.service");
    await user.disableNow("archy.service");
    await sys.tryRestart("archy.service");
    await sys.show("archy.service");
    expect(fake.calls.map((c) => [c.argv.join(" "), c.timeoutMs])).toEqual([
      ["systemctl --no-ask-password daemon-reload", 30_000],
      ["systemctl --user --no-ask-password enable --now archy.service", 9_000],
      ["systemctl --user --no-ask-password disable --now archy.service", 9_000],
      ["systemctl --no-ask-password try-restart archy.service", 20 * 60_000],
      [
        "systemctl --no-ask-password show --property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts,InvocationID,FragmentPath,NeedDaemonReload,Result archy.service",
        30_000,
      ],
    ]);
  });

  it("is-enabled and is-active answer with their exit codes too", async () => {
    const fake = fakeRunner((c) =>
      c.args.includes("is-enabled")
        ? { exitCode: 1, stdout: "disabled\n" }
        : { exitCode: 3, stdout: "inactive\n" },
    );
    const sys = new Systemctl({ run: fake.run });
    expect(await sys.isEnabled("archy.service")).toBe("disabled");
    expect(await sys.isActive("archy.service")).toBe("inactive");
  });

  it("typed errors: no systemctl, a timeout, no manager, not booted, a failure", async () => {
    const answers = {
      missing: {
        exitCode: null,
        spawnError: Object.assign(new Error("spawn systemctl ENOENT"), { code: "ENOENT" }),
      },
      slow: { exitCode: null, timedOut: true },
      bus: { exitCode: 1, stderr: "Failed to connect to bus: No medium found\n" },
      userBus: {
        exitCode: 1,
        stderr:
          "Failed to connect to user scope bus via local transport: $DBUS_SESSION_BUS_ADDRESS and $XDG_RUNTIME_DIR not defined\n",
      },
      booted: {
        exitCode: 1,
        stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.\n",
      },
      failed: {
        exitCode: 1,
        stderr:
          "Job for archy.service failed because the control process exited with error code.\n",
      },
    };
    const run = (a: keyof typeof answers) =>
      new Systemctl({ run: fakeRunner(() => answers[a]).run });
    expect(await codeOf(run("missing").daemonReload())).toBe("ENOSYSTEMD");
    expect(await codeOf(run("slow").enableNow("archy.service"))).toBe("ESYSTEMCTLTIMEOUT");
    expect(await codeOf(run("bus").show("archy.service"))).toBe("ENOMANAGER");
    expect(await codeOf(run("userBus").isActive("archy.service"))).toBe("ENOMANAGER");
    expect(await codeOf(run("booted").daemonReload())).toBe("ENOSYSTEMD");
    const failed = run("failed").enableNow("archy.service");
    await expect(failed).rejects.toMatchObject({
      code: "ESYSTEMCTL",
      exitCode: 1,
      command: ["systemctl", "--no-ask-password", "enable", "--now", "archy.service"],
      message: expect.stringContaining("Job for archy.service failed") as unknown,
    });
  });
});

describe("with the real runner and a fake systemctl script", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "archy-systemctl-"));
    await writeFile(
      join(dir, "systemctl"),
      `#!/bin/sh\necho "$@" >> "${dir}/calls"\ncase "$*" in *is-active*) echo activating; exit 3;; *fail*) echo "Unit fail.service not found." >&2; exit 5;; esac\n`,
    );
    await chmod(join(dir, "systemctl"), 0o755);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("passes the words as they are and reads the answers", async () => {
    const sys = new Systemctl({
      systemctlPath: join(dir, "systemctl"),
      run: execaRunner,
      user: true,
    });
    expect(await sys.isActive("archy.service")).toBe("activating");
    await expect(sys.tryRestart("fail.service")).rejects.toMatchObject({
      code: "ESYSTEMCTL",
      exitCode: 5,
      message: expect.stringContaining("Unit fail.service not found.") as unknown,
    });
    await sys.tryRestart("with space.service");
    expect(await readFile(join(dir, "calls"), "utf8")).toBe(
      "--user --no-ask-password is-active archy.service\n" +
        "--user --no-ask-password try-restart fail.service\n" +
        "--user --no-ask-password try-restart with space.service\n",
    );
  });

  it("a systemctl that is not there is ENOSYSTEMD", async () => {
    const sys = new Systemctl({ systemctlPath: join(dir, "nope"), run: execaRunner });
    expect(await codeOf(sys.daemonReload())).toBe("ENOSYSTEMD");
  });
});

describe("isSystemdRunning", () => {
  it("is /run/systemd/system a folder under the root", async () => {
    const root = await mkdtemp(join(tmpdir(), "archy-root-"));
    try {
      expect(await isSystemdRunning(root)).toBe(false);
      expect(await codeOf(assertSystemdRunning(root))).toBe("ENOSYSTEMD");
      await mkdir(join(root, "run/systemd/system"), { recursive: true });
      expect(await isSystemdRunning(root)).toBe(true);
      await expect(assertSystemdRunning(root)).resolves.toBeUndefined();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
