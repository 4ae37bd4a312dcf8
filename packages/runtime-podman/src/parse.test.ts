import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PodmanOutputError } from "./errors.js";
import {
  normaliseState,
  normaliseTime,
  parseImagesJson,
  parseEventLine,
  parseInspectJson,
  parsePsJson,
} from "./parse.js";
import { parseStatsLines } from "./stats.js";

const fixture = (version: string, file: string) =>
  readFileSync(new URL(`./fixtures/${version}/${file}`, import.meta.url), "utf8");

describe("podman 4.3.1 output recorded on this machine", () => {
  it("ps: names, states, health from Status, exit codes, zero times, labels, ports", () => {
    const list = parsePsJson(fixture("podman-4.3.1", "ps.json"));
    const byName = Object.fromEntries(list.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(["created", "exited", "paused", "web"]);
    expect(byName.web).toMatchObject({
      state: "running",
      health: "healthy",
      exitCode: null,
      finishedAt: null,
      image: "localhost/archy-test-busybox:latest",
      labels: { "io.archy.app": "web", "io.archy.config-hash": "abc" },
      ports: [{ hostIp: "127.0.0.1", hostPort: 18099, containerPort: 8080, protocol: "tcp" }],
    });
    expect(byName.web?.startedAt).toMatch(/^2026-11-22T04:21:1\dZ|^2026-11-22T04:21:1\d\.000Z$/);
    expect(byName.web?.imageId).toMatch(/^[0-9a-f]{64}$/);
    expect(byName.exited).toMatchObject({ state: "exited", exitCode: 3, health: null });
    expect(byName.exited?.finishedAt).not.toBeNull();
    expect(byName.created).toMatchObject({ state: "created", startedAt: null, exitCode: null });
    expect(byName.paused).toMatchObject({ state: "paused" });
  });

  it("inspect: health, zero FinishedAt, ports map, image name", () => {
    const list = parseInspectJson(fixture("podman-4.3.1", "inspect.json"));
    expect(list.map((c) => [c.name, c.state, c.health, c.exitCode])).toEqual([
      ["web", "running", "healthy", null],
      ["exited", "exited", null, 3],
      ["created", "created", null, null],
      ["paused", "paused", null, null],
    ]);
    expect(list[0]).toMatchObject({
      image: "localhost/archy-test-busybox:latest",
      finishedAt: null,
      ports: [{ hostIp: "127.0.0.1", hostPort: 18099, containerPort: 8080, protocol: "tcp" }],
    });
    expect(list[2]?.startedAt).toBeNull();
  });

  it("inspect after a SIGKILL stop: exit 137 and a finish time", () => {
    const [stubborn] = parseInspectJson(fixture("podman-4.3.1", "inspect-stopped.json"));
    expect(stubborn).toMatchObject({ name: "stubborn", state: "exited", exitCode: 137 });
    expect(stubborn?.finishedAt).toMatch(/^2026-11-22T/);
  });

  it("images: ids, names and registry digests", () => {
    const images = parseImagesJson(fixture("podman-4.3.1", "images.json"));
    expect(images[0]?.digests[0]).toMatch(/^localhost\/other@sha256:[0-9a-f]{64}$/);
    expect(images[0]?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(images.map((i) => i.names)).toEqual([
      ["localhost/other:2"],
      ["localhost/archy-test-busybox:latest"],
    ]);
    expect(images[0]?.id).toMatch(/^[0-9a-f]{64}$/);
    expect(
      parseImagesJson(
        '[{"Id":"sha256:ab","Names":null},{"ID":"cd","RepoTags":["<none>:<none>","x:1"]}]',
      ),
    ).toEqual([
      { id: "ab", names: [], digests: [], digest: null },
      { id: "cd", names: ["x:1"], digests: [], digest: null },
    ]);
  });

  it("events: every line parses; died carries the exit code; health_status its health", () => {
    const events = fixture("podman-4.3.1", "events.jsonl").trim().split("\n").map(parseEventLine);
    expect(events.every((e) => e !== null)).toBe(true);
    const died = events.filter((e) => e?.status === "died");
    expect(died.map((e) => [e?.name, e?.exitCode])).toEqual([
      ["exited", 3],
      ["stubborn", 137],
      ["web", 137],
      ["killme", 137],
    ]);
    const health = events.find((e) => e?.status === "health_status");
    // podman 4.3 emits the event before it records the result: the recorded line says "starting".
    expect(health).toMatchObject({ name: "web", health: "starting", exitCode: null });
    expect(events[0]).toMatchObject({
      status: "create",
      name: "web",
      labels: { "io.archy.app": "web" },
    });
    expect(events[0]?.time).toBe("2026-11-22T04:21:13.914Z");
  });
});

describe("podman 5.x and docker-compatible spellings", () => {
  it("ps: Names as a string with '/', 'stopped' and 'configured' states, port ranges, docker port shape, null labels", () => {
    const list = parsePsJson(fixture("podman-5", "ps.json"));
    expect(list.map((c) => [c.name, c.state, c.health, c.exitCode])).toEqual([
      ["archy-web", "running", "unhealthy", null],
      ["archy-db", "exited", null, 137],
      ["never-started", "created", null, null],
      ["busy", "stopping", null, null],
    ]);
    expect(list[0]?.ports).toEqual([
      { hostPort: 18080, containerPort: 8080, protocol: "tcp" },
      { hostPort: 18081, containerPort: 8081, protocol: "tcp" },
    ]);
    expect(list[1]).toMatchObject({
      imageId: null,
      labels: {},
      ports: [],
      finishedAt: "2025-11-22T04:01:40.000Z",
    });
    expect(list[2]).toMatchObject({
      startedAt: null,
      ports: [{ hostIp: "127.0.0.1", hostPort: 5353, containerPort: 53, protocol: "udp" }],
    });
  });

  it("inspect: Health and the older Healthcheck key, null port bindings", () => {
    const list = parseInspectJson(fixture("podman-5", "inspect.json"));
    expect(list[0]).toMatchObject({
      name: "archy-web",
      health: "starting",
      ports: [{ hostPort: 18080, containerPort: 8080 }],
    });
    expect(list[1]).toMatchObject({
      name: "archy-db",
      state: "exited",
      exitCode: 3,
      health: "unhealthy",
      labels: {},
      finishedAt: "2026-11-22T04:01:01.000Z",
    });
  });

  it("events: ContainerExitCode, HealthStatus, the docker shape with timeNano; non-container and garbage lines are skipped", () => {
    const events = fixture("podman-5", "events.jsonl").trim().split("\n").map(parseEventLine);
    expect(events[0]).toMatchObject({
      status: "died",
      exitCode: 137,
      name: "archy-web",
      labels: { "io.archy.app": "web" },
    });
    expect(events[0]?.labels).not.toHaveProperty("image");
    expect(events[1]).toMatchObject({ status: "health_status", health: "unhealthy" });
    expect(events[2]).toMatchObject({
      status: "died",
      exitCode: 3,
      name: "archy-db",
      time: "2025-11-22T04:02:00.500Z",
      labels: { "io.archy.app": "db" },
    });
    expect(events[3]).toBeNull();
    expect(events[4]).toBeNull();
  });

  it("[] and null are empty lists; nothing at all is a failed call, never 'no containers'", () => {
    expect(parsePsJson("[]\n")).toEqual([]);
    expect(parsePsJson("null\n")).toEqual([]);
    expect(parseInspectJson("[]")).toEqual([]);
    expect(parseImagesJson("null")).toEqual([]);
    for (const parse of [parsePsJson, parseImagesJson, parseInspectJson])
      expect(() => parse("\n")).toThrow(PodmanOutputError);
  });

  it("garbled output is PodmanOutputError: cut short, not JSON, not a list, entries of another shape", () => {
    const ps = fixture("podman-4.3.1", "ps.json");
    const images = fixture("podman-4.3.1", "images.json");
    // Cut anywhere short of its end, a list is never read as a shorter one.
    for (const cut of [1, 2, 10, ps.length / 2, ps.length - 3].map(Math.floor)) {
      const error = (() => {
        try {
          parsePsJson(ps.slice(0, cut));
        } catch (e) {
          return e;
        }
      })();
      expect(PodmanOutputError.isInstance(error), `cut at ${cut}`).toBe(true);
      expect((error as PodmanOutputError).code).toBe("EPODMANOUTPUT");
    }
    expect(() => parseImagesJson(images.slice(0, images.length / 2))).toThrow(PodmanOutputError);
    for (const garbage of ["<html>502</html>", "}{][", "\u0000\u0001 garbled", "{}", '"text"'])
      expect(() => parsePsJson(garbage), garbage).toThrow(
        /podman ps printed output archy cannot read/,
      );
    expect(() => parsePsJson("[1, 2]")).toThrow(/an entry is not an object/);
    expect(() => parsePsJson('[{"foo": 1}]')).toThrow(/an entry has no Id or ID/);
    expect(() => parsePsJson('[{"Id": "a", "Names": ["x"]}]')).toThrow(/no State/);
    expect(() => parseImagesJson('[{"Names": ["x"]}]')).toThrow(/no Id or ID/);
    expect(() => parseInspectJson('[{"Id": "a", "Name": "x"}]')).toThrow(/no State/);
  });
});

describe("normalisers", () => {
  it.each([
    ["running", "running"],
    ["Up", "running"],
    ["exited", "exited"],
    ["stopped", "exited"],
    ["configured", "created"],
    ["initialized", "created"],
    ["created", "created"],
    ["paused", "paused"],
    ["stopping", "stopping"],
    ["removing", "removing"],
    ["improper", "unknown"],
    [undefined, "unknown"],
  ])("state %s -> %s", (raw, want) => expect(normaliseState(raw)).toBe(want));

  it("times: Go zero time and -62135596800 are null, seconds and nanoseconds become ISO", () => {
    expect(normaliseTime("0001-01-01T00:00:00Z")).toBeNull();
    expect(normaliseTime(-62135596800)).toBeNull();
    expect(normaliseTime(0)).toBeNull();
    expect(normaliseTime(1763784000)).toBe("2025-11-22T04:00:00.000Z");
    expect(normaliseTime(1_763_784_000_123 * 1e6)).toBe("2025-11-22T04:00:00.123Z");
    expect(normaliseTime("garbage")).toBeNull();
  });
});

describe("parseStatsLines", () => {
  it("reads podman's numbers per running container (4.3's zeros for a created one are left out); a line of another shape is PodmanOutputError", () => {
    expect(
      parseStatsLines("27370a9b41ac archy-web 75481612 606208 67108864\nb7a6b1a1e4fc s3 0 0 0\n"),
    ).toEqual([
      {
        id: "27370a9b41ac",
        name: "archy-web",
        cpuNanos: 75481612,
        memoryBytes: 606208,
        memoryLimitBytes: 67108864,
      },
    ]);
    expect(parseStatsLines("")).toEqual([]);
    expect(() => parseStatsLines("27370a9b41ac archy-web 335.9kB / 67.11MB")).toThrow(
      expect.objectContaining({ code: "EPODMANOUTPUT" }),
    );
  });
});
