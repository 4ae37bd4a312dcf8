// What podman 5.4.2 (Debian 13) printed, recorded by
// scripts/hosts/record-podman-fixtures.sh in the Debian 13 root: the
// differences from 4.3 that the parsers must read (../shared/HOSTS-TESTING.md).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseEventLine, parseImagesJson, parseInspectJson, parsePsJson } from "./parse.js";

const fixture = (file: string) =>
  readFileSync(new URL(`./fixtures/podman-5.4.2/${file}`, import.meta.url), "utf8");

describe("podman 5.4.2 as recorded", () => {
  const events = fixture("events.jsonl").trim().split("\n");
  const parsed = events.map(parseEventLine);

  it("events: time from timeNano (no Time string), to the millisecond", () => {
    const raw = JSON.parse(events[2]!) as { Time?: string; time: number; timeNano: number };
    expect(raw.Time).toBeUndefined();
    expect(parsed[2]).toMatchObject({ status: "create", name: "web" });
    expect(parsed[2]!.time).toBe(new Date(Math.floor(raw.timeNano / 1e6)).toISOString());
  });

  it("events: an exit code on every died, 0 too; none taken from remove", () => {
    const died = parsed.filter((e) => e?.status === "died").map((e) => [e!.name, e!.exitCode]);
    expect(died).toEqual([
      ["ok", 0],
      ["bad", 3],
      ["plain", 137],
    ]);
    const remove = events.find((l) => l.includes('"Status":"remove"'))!;
    expect(JSON.parse(remove)).toMatchObject({ ContainerExitCode: 0 });
    expect(parseEventLine(remove)).toMatchObject({ status: "remove", exitCode: null });
  });

  it("events: health_status with its health_status key; system and image events are skipped", () => {
    expect(parsed.find((e) => e?.status === "health_status")).toMatchObject({
      name: "web",
      health: "healthy",
      labels: { "io.archy.app": "web" },
    });
    expect(parsed[0]).toBeNull(); // system refresh
    expect(parsed[1]).toBeNull(); // image build
  });

  it("inspect: no State.Health without a check (4.3: an empty object), StopSignal a name", () => {
    const raw = JSON.parse(fixture("inspect.json")) as {
      State: { Health: unknown };
      Config: { StopSignal: unknown };
    }[];
    expect(raw[1]!.State.Health ?? null).toBeNull(); // absent here; null in other 5.x builds
    expect(raw[1]!.Config.StopSignal).toBe("SIGTERM");
    const [web, plain] = parseInspectJson(fixture("inspect.json"));
    expect(web).toMatchObject({ name: "web", state: "running", health: "healthy", exitCode: null });
    expect(web!.ports).toEqual([
      { hostIp: "127.0.0.1", hostPort: 18080, containerPort: 8080, protocol: "tcp" },
    ]);
    expect(plain).toMatchObject({ name: "plain", state: "exited", health: null, exitCode: 137 });
    expect(parseInspectJson(fixture("inspect-stopped.json"))[0]).toMatchObject({
      name: "bad",
      exitCode: 3,
      labels: { "io.archy.app": "bad" },
    });
  });

  it("ps: Status without 'ago' for running ones, the zero ExitedAt of a running container", () => {
    const list = parsePsJson(fixture("ps.json"));
    expect(list.map((c) => [c.name, c.state, c.health, c.exitCode])).toEqual([
      ["web", "running", "healthy", null],
      ["plain", "exited", null, 137],
      ["bad", "exited", null, 3],
    ]);
    expect(list[0]!.finishedAt).toBeNull();
    expect(list[0]!.startedAt).toMatch(/^\d{4}-/);
    expect(
      parseImagesJson(fixture("images.json")).some((i) => i.names.includes("localhost/fixture:1")),
    ).toBe(true);
  });
});
