import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeRuntime, VirtualClock } from "@archy/runtime-podman/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HealthMonitor, probeHttp, probeTcp } from "./health.js";
import { makeApp, START } from "../test-helpers.js";

describe("HealthMonitor (virtual time)", () => {
  let clock: VirtualClock;
  let fake: FakeRuntime;
  beforeEach(() => {
    clock = new VirtualClock(START);
    fake = new FakeRuntime({ clock, images: ["localhost/web:1"] });
  });
  afterEach(() => {
    fake.dispose();
  });

  async function running(health: string, behaviour: Parameters<FakeRuntime["setBehaviour"]>[1]) {
    const app = makeApp("web", { health });
    fake.setBehaviour("archy-web", behaviour);
    await fake.createContainer({
      name: "archy-web",
      image: "localhost/web:1",
      healthcheck: { cmd: ["check"] },
      labels: { "io.archy.app": "web" },
    });
    await fake.startContainer("archy-web");
    return { app, status: (await fake.getContainerStatus("archy-web"))! };
  }
  const checks = () => fake.calls.filter((c) => c.method === "runHealthcheck").length;

  it("checks on the interval; retries consecutive failures make it unhealthy; a success makes it healthy again", async () => {
    const { app, status } = await running('{ cmd: ["check"], interval: 1s, retries: 2 }', {
      health: ["healthy", "unhealthy", "unhealthy", "healthy"],
    });
    const changes: string[] = [];
    const monitor = new HealthMonitor(fake, clock, (id, h, prev) =>
      changes.push(`${id}: ${prev} -> ${h}`),
    );
    monitor.sync([{ app, status }]);
    await clock.advance(0);
    expect(checks()).toBe(1);
    expect(monitor.health("web", status.id)).toBe("healthy");
    await clock.advance(999);
    expect(checks()).toBe(1);
    await clock.advance(1);
    expect(checks()).toBe(2);
    expect(monitor.health("web", status.id)).toBe("healthy"); // one failure of 2
    await clock.advance(1_000);
    expect(monitor.health("web", status.id)).toBe("unhealthy");
    await clock.advance(1_000);
    expect(changes).toEqual([
      "web: null -> healthy",
      "web: healthy -> unhealthy",
      "web: unhealthy -> healthy",
    ]);
    monitor.sync([]);
    await clock.advance(10_000);
    expect(checks()).toBe(4);
    monitor.stop();
  });

  it("failures inside start_period do not count", async () => {
    const { app, status } = await running(
      '{ cmd: ["check"], interval: 1s, retries: 1, start_period: 5s }',
      { health: ["unhealthy"] },
    );
    const monitor = new HealthMonitor(fake, clock, () => undefined);
    monitor.sync([{ app, status }]);
    await clock.advance(3_000);
    expect(monitor.health("web", status.id)).toBe("starting");
    await clock.advance(3_000);
    expect(monitor.health("web", status.id)).toBe("unhealthy");
    monitor.stop();
  });

  it("one check in flight per app: a hung check delays the next, it never piles up", async () => {
    const { app, status } = await running('{ cmd: ["check"], interval: 1s, timeout: 1s }', {
      health: ["healthy"],
    });
    fake.hangNext("runHealthcheck");
    const monitor = new HealthMonitor(fake, clock, () => undefined);
    monitor.sync([{ app, status }]);
    await clock.advance(5_000);
    monitor.sync([{ app, status }]);
    await clock.advance(5_000);
    // The hung check is given up after timeout + 10 s; until then no other starts.
    expect(checks()).toBe(1);
    await clock.advance(1_500); // 11.5 s: given up, no verdict (a hung podman says nothing of the app)
    expect(monitor.health("web", status.id)).toBeNull();
    expect(checks()).toBe(1);
    await clock.advance(1_000); // the next check, one interval later
    expect(checks()).toBe(2);
    expect(monitor.health("web", status.id)).toBe("healthy");
    monitor.stop();
  });
});

describe("HealthMonitor when podman fails (virtual time)", () => {
  it("a check podman cannot run (exit 125, garbage) is no verdict: a healthy app stays healthy; only 3 x retries of them in a row count as failing", async () => {
    const clock = new VirtualClock(START);
    const fake = new FakeRuntime({ clock, images: ["localhost/web:1"] });
    const app = makeApp("web", { health: '{ cmd: ["check"], interval: 1s, retries: 2 }' });
    await fake.createContainer({
      name: "archy-web",
      image: "localhost/web:1",
      healthcheck: { cmd: ["check"] },
      labels: { "io.archy.app": "web" },
    });
    await fake.startContainer("archy-web");
    const status = (await fake.getContainerStatus("archy-web"))!;
    const monitor = new HealthMonitor(fake, clock, () => undefined);
    monitor.sync([{ app, status }]);
    await clock.advance(0);
    expect(monitor.health("web", status.id)).toBe("healthy");
    // Five checks in a row podman fails to run: more than retries, fewer than 3 x retries.
    fake.failNext("runHealthcheck", undefined, { times: 5 });
    await clock.advance(5_000);
    expect(monitor.health("web", status.id)).toBe("healthy");
    await clock.advance(1_000); // a check that runs: still healthy
    expect(monitor.health("web", status.id)).toBe("healthy");
    // A podman that cannot run it at all: 6 unknowns count as one failure, 12 as two.
    fake.failNext("runHealthcheck", undefined, { times: 12 });
    await clock.advance(6_000);
    expect(monitor.health("web", status.id)).toBe("healthy");
    await clock.advance(6_000);
    expect(monitor.health("web", status.id)).toBe("unhealthy");
    monitor.stop();
    fake.dispose();
  });
});

describe("host-side probes", () => {
  it("http: 2xx/3xx healthy, 5xx and refused unhealthy; tcp: accepted healthy, refused unhealthy", async () => {
    const server = createServer((req, res) => {
      res.statusCode = req.url === "/ok" ? 200 : req.url === "/moved" ? 302 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await probeHttp("127.0.0.1", port, "/ok", 1_000)).toBe("healthy");
      expect(await probeHttp("127.0.0.1", port, "/moved", 1_000)).toBe("healthy");
      expect(await probeHttp("127.0.0.1", port, "/broken", 1_000)).toBe("unhealthy");
      expect(await probeTcp("127.0.0.1", port, 1_000)).toBe("healthy");
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await probeHttp("127.0.0.1", port, "/ok", 1_000)).toBe("unhealthy");
    expect(await probeTcp("127.0.0.1", port, 1_000)).toBe("unhealthy");
  });
});
