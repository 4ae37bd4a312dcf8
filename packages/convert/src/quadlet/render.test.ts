import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PodmanCommandError } from "./errors.js";
import {
  daemonReload,
  disableAndRemove,
  enableNow,
  isActive,
  renderQuadletUnit,
  writeUnitIfChanged,
} from "./quadlet.js";
import type { ContainerSpec } from "./types.js";

const golden = (name: string) =>
  readFile(new URL(`../test/golden/${name}`, import.meta.url), "utf8");

const full: ContainerSpec = {
  name: "archy-web",
  image: "localhost/web:1.0",
  command: ["httpd", "-f", "-p", "8080", "-h", "/var/www/my site"],
  env: { GREETING: "hi there", PRICE: "100%", HOME_DIR: "$HOME" },
  ports: [{ hostIp: "127.0.0.1", hostPort: 18080, containerPort: 8080, protocol: "tcp" }],
  volumes: [
    { source: "web-data", target: "/data" },
    { source: "/etc/archy/web", target: "/etc/web", readOnly: true },
  ],
  network: "bridge",
  labels: { "io.archy.app": "web", "io.archy.config-hash": "abc" },
  capAdd: ["NET_BIND_SERVICE"],
  capDrop: ["ALL"],
  readOnly: true,
  stopTimeout: 30,
  healthcheck: {
    cmd: ["wget", "-qO-", "http://127.0.0.1:8080/"],
    intervalMs: 10_000,
    timeoutMs: 5_000,
    retries: 3,
    startPeriodMs: 5_000,
  },
};

describe("renderQuadletUnit", () => {
  it("renders a full spec (golden file)", async () => {
    expect(renderQuadletUnit(full, { requires: ["archy-db.service"] })).toBe(
      await golden("archy-web.container"),
    );
  });

  it("renders a minimal host-network spec with options (golden file)", async () => {
    const unit = renderQuadletUnit(
      { name: "archy-node", image: "localhost/node:27", network: "host" },
      {
        description: "Bitcoin node",
        restart: "on-failure",
        restartSec: 30,
        wantedBy: "multi-user.target",
      },
    );
    expect(unit).toBe(await golden("archy-node.container"));
  });

  it("is pure and refuses flag-like values", () => {
    expect(renderQuadletUnit(full)).toBe(renderQuadletUnit(full));
    expect(() => renderQuadletUnit({ ...full, image: "--privileged" })).toThrow(
      /must not start with '-'/,
    );
  });
});

describe("writeUnitIfChanged and systemctl", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "archy-quadlet-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes when the content differs and says whether it changed", async () => {
    const units = join(dir, "units");
    expect(await writeUnitIfChanged(units, "archy-web.container", "a\n")).toBe(true);
    expect(await writeUnitIfChanged(units, "archy-web.container", "a\n")).toBe(false);
    expect(await writeUnitIfChanged(units, "archy-web.container", "b\n")).toBe(true);
    expect(await readFile(join(units, "archy-web.container"), "utf8")).toBe("b\n");
    await expect(writeUnitIfChanged(units, "../escape", "x")).rejects.toThrow(TypeError);
  });

  it("calls systemctl --user with the right arguments (recorded by a stand-in systemctl)", async () => {
    const log = join(dir, "calls.log");
    const fakeSystemctl = join(dir, "systemctl");
    await writeFile(
      fakeSystemctl,
      `#!/bin/sh\necho "$@" >> ${log}\ncase "$*" in *is-active*inactive*) exit 3;; *fail*) echo "Failed to start" >&2; exit 1;; esac\n`,
    );
    await chmod(fakeSystemctl, 0o755);
    const opts = { systemctlPath: fakeSystemctl };
    await writeFile(join(dir, "archy-web.container"), "x");
    await daemonReload(opts);
    await enableNow("archy-web.service", opts);
    expect(await isActive("archy-web.service", opts)).toBe(true);
    expect(await isActive("inactive.service", opts)).toBe(false);
    await disableAndRemove("archy-web.service", { ...opts, dir });
    await expect(enableNow("fail.service", opts)).rejects.toBeInstanceOf(PodmanCommandError);
    await isActive("sys.service", { ...opts, user: false });
    expect((await readFile(log, "utf8")).trim().split("\n")).toEqual([
      "--user daemon-reload",
      "--user start archy-web.service",
      "--user is-active --quiet archy-web.service",
      "--user is-active --quiet inactive.service",
      "--user stop archy-web.service",
      "--user daemon-reload",
      "--user start fail.service",
      "is-active --quiet sys.service",
    ]);
    await expect(readFile(join(dir, "archy-web.container"))).rejects.toThrow(/ENOENT/);
  });
});
