// PodmanRuntime's own error handling, with stand-in binaries where the real
// podman cannot show it (missing, hanging). The real-podman behaviour is in
// test/podman.int.test.ts.
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EventStreamError,
  ImageNotFoundError,
  InvalidArgumentError,
  PodmanCommandError,
  PodmanOutputError,
  PodmanTimeoutError,
  PodmanUnavailableError,
  RuntimeError,
} from "./errors.js";
import { PodmanRuntime } from "./podman.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "archy-podman-unit-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

describe("PodmanRuntime errors", () => {
  it("a missing binary -> PodmanUnavailableError", async () => {
    const rt = new PodmanRuntime({ podmanPath: join(dir, "does-not-exist") });
    const err = await rt.listContainers().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodmanUnavailableError);
    expect(RuntimeError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(/binary not found/);
  });

  it("a podman that hangs -> PodmanTimeoutError within the timeout", async () => {
    const rt = new PodmanRuntime({
      podmanPath: await script("hang", "exec sleep 30"),
      timeoutMs: 300,
    });
    const started = Date.now();
    const err = await rt.listContainers().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodmanTimeoutError);
    expect((err as PodmanTimeoutError).timeoutMs).toBe(300);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("podman runs in a process group of its own: a kill of archy's group never cuts it off half-way", async () => {
    const groupOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    const out = join(dir, "podman-stat");
    const rt = new PodmanRuntime({
      podmanPath: await script("pgid", `cat /proc/$$/stat > "${out}"; echo '[]'`),
    });
    await rt.listContainers();
    const podmanStat = await readFile(out, "utf8");
    const podmanPid = Number(podmanStat.split(" ")[0]);
    expect(groupOf(podmanStat)).toBe(podmanPid); // the leader of its own group
    expect(groupOf(await readFile("/proc/self/stat", "utf8"))).not.toBe(podmanPid);
  });

  it("a failing call -> PodmanCommandError with argv, exit code and stderr; globalArgs come first", async () => {
    const rt = new PodmanRuntime({
      podmanPath: await script("fail", 'echo "args: $*" >&2; exit 7'),
      globalArgs: ["--root", "/r"],
    });
    const err = (await rt.startContainer("web").catch((e: unknown) => e)) as PodmanCommandError;
    expect(err).toBeInstanceOf(PodmanCommandError);
    expect(err.exitCode).toBe(7);
    expect(err.argv).toEqual(["start", "--", "web"]);
    expect(err.stderr).toBe("args: --root /r start -- web");
  });

  it("events: podman's process dying ends the stream with EventStreamError, after the events it printed", async () => {
    const line =
      '{"ID":"abc","Name":"archy-web","Status":"died","Time":"2026-11-22T04:02:00Z","Type":"container","ContainerExitCode":137,"Attributes":{"io.archy.app":"web"}}';
    const rt = new PodmanRuntime({
      podmanPath: await script("events-die", `echo '${line}'; echo "lost the log" >&2; exit 1`),
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const e of rt.events()) seen.push(`${e.name} ${e.status} ${e.exitCode}`);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(["archy-web died 137"]);
    expect(err).toBeInstanceOf(EventStreamError);
    expect((err as Error).message).toMatch(/podman events exited \(code 1\): lost the log/);
    const missing = new PodmanRuntime({ podmanPath: join(dir, "nope") });
    await expect(
      (async () => {
        for await (const _ of missing.events()) void _;
      })(),
    ).rejects.toBeInstanceOf(PodmanUnavailableError);
  });

  it("flag-like values are refused before any call; an empty batch makes no call", async () => {
    const rt = new PodmanRuntime({ podmanPath: join(dir, "never-called") });
    await expect(rt.startContainer("--all")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(rt.pullImage("-q")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(rt.startContainers(["web", "--all"])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      rt.runContainer({ name: "-web", image: "localhost/web:1" }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      rt.runContainer({
        name: "web",
        image: "localhost/web:1",
        network: "shop",
        networkAliases: ["--privileged"],
      }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await rt.startContainers([])).toEqual({ started: [], failed: [] });
  });

  it("runContainer is `podman run --detach` with create's arguments and create's error mapping", async () => {
    const rt = new PodmanRuntime({
      podmanPath: await script(
        "no-image",
        'echo "args: $*" >&2; echo "Error: localhost/web:1: image not known" >&2; exit 125',
      ),
    });
    const spec = {
      name: "web",
      image: "localhost/web:1",
      env: { A: "1" },
      network: "shop",
      networkAliases: ["web", "www"],
    };
    const run = await rt.runContainer(spec).catch((e: unknown) => e);
    const create = await rt.createContainer(spec).catch((e: unknown) => e);
    for (const e of [run, create]) expect(e).toBeInstanceOf(ImageNotFoundError);
    const argv = (e: unknown) => ((e as Error).cause as PodmanCommandError).argv;
    expect(argv(run)).toEqual(["run", "--detach", ...argv(create).slice(1)]);
    expect(argv(create)[0]).toBe("create");
    expect(argv(create)).toEqual(
      expect.arrayContaining(["--network=shop", "--network-alias=web", "--network-alias=www"]),
    );
  });

  it("startContainers: a batch podman fails as a whole (an unexpected exit) rejects", async () => {
    const rt = new PodmanRuntime({
      podmanPath: await script("start-broken", 'echo "Error: database is locked" >&2; exit 2'),
    });
    const err = (await rt
      .startContainers(["a", "b"])
      .catch((e: unknown) => e)) as PodmanCommandError;
    expect(err).toBeInstanceOf(PodmanCommandError);
    expect(err.argv).toEqual(["start", "--", "a", "b"]);
    // In shares side by side: every share failed as a whole, so does the call.
    await expect(rt.startContainers(["a", "b"], { parallel: 2 })).rejects.toBeInstanceOf(
      PodmanCommandError,
    );
  });

  it("startContainers with `parallel`: a share of the names per podman process (round-robin), side by side; a share that hangs fails its own names after the whole call's allowance", async () => {
    const log = join(dir, "start-shares.log");
    const rt = new PodmanRuntime({
      podmanPath: await script(
        "start-shares",
        [
          `echo "$(date +%s%N) $*" >> "${log}"`,
          'case " $* " in *" a "*) exec sleep 30;; esac',
          'for n in "$@"; do [ "$n" = start ] || [ "$n" = -- ] || echo "$n"; done',
        ].join("\n"),
      ),
      timeoutMs: 300,
    });
    const t0 = Date.now();
    const result = await rt.startContainers(["a", "b", "c"], { parallel: 2 });
    // A second per name of the whole call (3), on top of the usual timeout.
    const error = "podman did not answer within 3300 ms: start -- a c";
    expect(result).toEqual({
      started: ["b"],
      failed: [
        { name: "a", error },
        { name: "c", error },
      ],
    });
    const calls = (await readFile(log, "utf8"))
      .trim()
      .split("\n")
      .map((l) => l.split(" "));
    expect(calls.map((c) => c.slice(1)).sort()).toEqual([
      ["start", "--", "a", "c"],
      ["start", "--", "b"],
    ]);
    // b's share did not wait for a's: both began at once.
    for (const c of calls) expect(Number(c[0]) / 1e6 - t0).toBeLessThan(2_000);
  });

  it("output archy cannot read is PodmanOutputError, never an empty answer (ps, images, inspect, image id, address)", async () => {
    const printing = async (name: string, out: string) =>
      new PodmanRuntime({ podmanPath: await script(name, `printf '%s' '${out}'`) });
    const empty = await printing("prints-nothing", "");
    await expect(empty.listContainers()).rejects.toBeInstanceOf(PodmanOutputError);
    await expect(empty.listImages()).rejects.toBeInstanceOf(PodmanOutputError);
    await expect(empty.getContainerStatus("web")).rejects.toBeInstanceOf(PodmanOutputError);
    await expect(empty.inspectContainers(["web"])).rejects.toBeInstanceOf(PodmanOutputError);
    const cut = await printing("prints-half", '[{"Id":"abc","Names":["archy-web"],"St');
    await expect(cut.listContainers()).rejects.toThrow(
      /podman ps printed output archy cannot read/,
    );
    const garbage = await printing("prints-garbage", "<html>502 Bad Gateway</html>");
    await expect(garbage.listContainers()).rejects.toBeInstanceOf(PodmanOutputError);
    await expect(garbage.inspectContainers(["a", "b"])).rejects.toBeInstanceOf(PodmanOutputError);
    // A truncated image id would hash to another config: a recreate for nothing.
    const shortId = await printing("prints-short-id", "3f2a9c");
    await expect(shortId.imageId("localhost/web:1")).rejects.toBeInstanceOf(PodmanOutputError);
    await expect(garbage.containerAddress("web")).rejects.toBeInstanceOf(PodmanOutputError);
    const id = "a".repeat(64);
    expect(await (await printing("prints-id", `sha256:${id}`)).imageId("localhost/web:1")).toBe(id);
    expect(await (await printing("prints-ip", "10.88.0.4")).containerAddress("web")).toBe(
      "10.88.0.4",
    );
  });

  it("inspectContainers: exit 125 without output is [] only when podman says they do not exist", async () => {
    const missing = new PodmanRuntime({
      podmanPath: await script(
        "inspect-missing",
        'echo "Error: no such container a" >&2; exit 125',
      ),
    });
    expect(await missing.inspectContainers(["a"])).toEqual([]);
    const locked = new PodmanRuntime({
      podmanPath: await script("inspect-locked", 'echo "Error: database is locked" >&2; exit 125'),
    });
    await expect(locked.inspectContainers(["a"])).rejects.toBeInstanceOf(PodmanCommandError);
  });
});
