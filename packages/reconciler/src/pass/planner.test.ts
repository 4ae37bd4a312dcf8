import type { ContainerStatus } from "@archy/runtime-podman";
import { describe, expect, it } from "vitest";
import { parseManifest, type AppManifest } from "../manifest/index.js";
import { dependencyOrder, plan, type PlanInput } from "./planner.js";
import { LABEL_APP, LABEL_HASH } from "../manifest/spec.js";
import type { ObservedApp } from "../types.js";

const NOW = Date.UTC(2026, 10, 22, 12);

function app(
  id: string,
  extra: { deps?: string[]; policy?: string; health?: boolean } = {},
): AppManifest {
  const text = `app:\n  id: ${id}\n  name: ${id}\n  version: "1"\n${extra.deps ? `  depends_on: [${extra.deps.join(", ")}]\n` : ""}  container:\n    image: localhost/${id}:1\n${extra.health ? '    healthcheck: { cmd: ["true"] }\n' : ""}${extra.policy ? `  restart: { policy: ${extra.policy} }\n` : ""}`;
  const r = parseManifest(text, `/m/${id}.yaml`);
  if (!r.app) throw new Error(JSON.stringify(r.errors));
  return r.app;
}

function container(
  id: string,
  state: ContainerStatus["state"],
  over: Partial<ContainerStatus> = {},
): ContainerStatus {
  return {
    id: `${id}-cid`.padEnd(64, "0"),
    name: `archy-${id}`,
    image: `localhost/${id}:1`,
    imageId: "img",
    state,
    health: null,
    exitCode: state === "exited" ? 1 : null,
    startedAt: "2026-11-22T11:00:00.000Z",
    finishedAt: null,
    labels: { [LABEL_APP]: id, [LABEL_HASH]: "H" },
    ports: [],
    ...over,
  };
}

const obs = (c: ContainerStatus | null, over: Partial<ObservedApp> = {}): ObservedApp => ({
  container: c,
  wantedHash: "H",
  health: null,
  ...over,
});

function planOne(a: AppManifest, o: ObservedApp, more: Partial<PlanInput> = {}) {
  return plan({ apps: [a], observed: { [a.id]: o }, desired: {}, now: NOW, history: {}, ...more });
}

describe("the decision table (desired = running)", () => {
  const web = app("web");

  it("missing -> create", () => {
    expect(planOne(web, obs(null)).actions).toEqual([
      { kind: "create", app: "web", reason: "container missing", container: "archy-web" },
    ]);
  });

  it("running, no health check, hash equal -> nothing", () => {
    const p = planOne(web, obs(container("web", "running")));
    expect(p.actions).toEqual([]);
    expect(p.converged).toEqual(["web"]);
  });

  it("running, healthy, hash equal -> nothing", () => {
    expect(
      planOne(app("web", { health: true }), obs(container("web", "running"), { health: "healthy" }))
        .actions,
    ).toEqual([]);
  });

  it("running, hash differs -> recreate", () => {
    const p = planOne(web, obs(container("web", "running"), { wantedHash: "H2" }));
    expect(p.actions).toMatchObject([
      { kind: "recreate", reason: "config changed (hash H -> H2)" },
    ]);
  });

  it("running, unhealthy past retries -> restart", () => {
    expect(
      planOne(
        app("web", { health: true }),
        obs(container("web", "running"), { health: "unhealthy" }),
      ).actions,
    ).toMatchObject([{ kind: "restart", reason: "unhealthy past its retries" }]);
  });

  it("running, unhealthy but backing off -> nothing yet", () => {
    const p = planOne(
      app("web", { health: true }),
      obs(container("web", "running"), { health: "unhealthy" }),
      { history: { web: { failures: 3, nextRetryAt: NOW + 4_000, healthySince: null } } },
    );
    expect(p.actions).toEqual([]);
    expect(p.skipped).toMatchObject([
      {
        app: "web",
        stopReason: "backoff",
        reason: expect.stringMatching(
          /^unhealthy; back-off until 2026-11-22T12:00:04.000Z after 3 failures/,
        ),
      },
    ]);
  });

  it("running, within start_period -> nothing yet, not ready", () => {
    const p = planOne(
      app("web", { health: true }),
      obs(container("web", "running"), { health: "starting" }),
    );
    expect(p.actions).toEqual([]);
    expect(p.skipped).toEqual([
      { app: "web", reason: "not ready yet (health check starting)", stopReason: null },
    ]);
  });

  it("exited -> start", () => {
    expect(planOne(web, obs(container("web", "exited", { exitCode: 137 }))).actions).toMatchObject([
      { kind: "start", reason: "exited (code 137)" },
    ]);
  });

  it("exited with a changed config -> recreate", () => {
    expect(
      planOne(web, obs(container("web", "exited"), { wantedHash: "H2" })).actions,
    ).toMatchObject([{ kind: "recreate" }]);
  });

  it("exited, backing off -> skipped with the back-off reason", () => {
    const p = planOne(web, obs(container("web", "exited")), {
      history: { web: { failures: 2, nextRetryAt: NOW + 1_000, healthySince: null } },
    });
    expect(p.actions).toEqual([]);
    expect(p.skipped[0]).toMatchObject({ stopReason: "backoff" });
  });

  it("exited, back-off over -> start", () => {
    expect(
      planOne(web, obs(container("web", "exited")), {
        history: { web: { failures: 2, nextRetryAt: NOW, healthySince: null } },
      }).actions,
    ).toMatchObject([{ kind: "start" }]);
  });

  it("on-failure: only after a non-zero exit", () => {
    const onFailure = app("job", { policy: "on-failure" });
    expect(planOne(onFailure, obs(container("job", "exited", { exitCode: 0 }))).actions).toEqual(
      [],
    );
    expect(
      planOne(onFailure, obs(container("job", "exited", { exitCode: 2 }))).actions,
    ).toMatchObject([{ kind: "start" }]);
  });

  it("restart policy no: never started again", () => {
    const p = planOne(
      app("once", { policy: "no" }),
      obs(container("once", "exited", { exitCode: 1 })),
    );
    expect(p.actions).toEqual([]);
    expect(p.skipped[0]).toMatchObject({ stopReason: "crash" });
  });

  it.each(["created", "paused", "unknown"] as const)("%s (wedged) -> force-recreate", (state) => {
    expect(planOne(web, obs(container("web", state))).actions).toMatchObject([
      { kind: "recreate", reason: `wedged in state ${state}` },
    ]);
  });

  it.each(["stopping", "removing"] as const)("%s -> left for the next pass", (state) => {
    const p = planOne(web, obs(container("web", state)));
    expect(p.actions).toEqual([]);
    expect(p.skipped[0]?.reason).toMatch(/podman is busy with it/);
  });

  it("missing but backing off -> skipped", () => {
    expect(
      planOne(web, obs(null), {
        history: { web: { failures: 2, nextRetryAt: NOW + 1, healthySince: null } },
      }).actions,
    ).toEqual([]);
  });

  it("a container of that name archy did not create is never touched", () => {
    const p = planOne(web, obs(container("web", "exited", { labels: {} })));
    expect(p.actions).toEqual([]);
    expect(p.skipped[0]).toMatchObject({
      failure: true,
      reason: expect.stringMatching(
        /the name archy-web is taken by a container archy did not create/,
      ),
    });
  });
});

describe("desired = stopped", () => {
  const web = app("web");
  it.each(["running", "paused"] as const)("%s -> stop", (state) => {
    expect(
      planOne(web, obs(container("web", state)), { desired: { web: "stopped" } }).actions,
    ).toMatchObject([{ kind: "stop", reason: "stopped by the owner" }]);
  });
  it.each([null, "exited", "created"] as const)("%s -> nothing", (state) => {
    const p = planOne(web, obs(state ? container("web", state) : null), {
      desired: { web: "stopped" },
    });
    expect(p.actions).toEqual([]);
    expect(p.skipped).toEqual([{ app: "web", reason: "stopped by the owner", stopReason: "user" }]);
    expect(p.converged).toEqual(["web"]);
  });
});

describe("order and orphans", () => {
  it("plans in dependency order, ties by id", () => {
    const apps = [
      app("web", { deps: ["db", "cache"] }),
      app("db"),
      app("cache", { deps: ["db"] }),
      app("alone"),
    ];
    expect(dependencyOrder(apps)).toEqual(["alone", "db", "cache", "web"]);
    const p = plan({ apps, observed: {}, desired: {}, now: NOW, history: {} });
    expect(p.actions.map((a) => a.app)).toEqual(["alone", "db", "cache", "web"]);
  });

  it("a labelled container without a manifest is an orphan, removed only when asked", () => {
    const orphan = container("gone", "running");
    const invalid = container("broken", "running");
    const input: PlanInput = {
      apps: [app("web")],
      observed: { web: obs(container("web", "running")) },
      desired: {},
      now: NOW,
      history: {},
      containers: [orphan, invalid, container("web", "running")],
      invalidIds: ["broken"],
    };
    expect(plan(input).orphans.map((o) => o.name)).toEqual(["archy-gone"]);
    expect(plan(input).actions).toEqual([]);
    expect(plan({ ...input, removeOrphans: true }).actions).toEqual([
      {
        kind: "remove-orphan",
        app: "gone",
        reason: "no manifest declares this app",
        container: "archy-gone",
      },
    ]);
  });

  it("is pure: the same input gives the same plan", () => {
    const input: PlanInput = {
      apps: [app("a"), app("b", { deps: ["a"] })],
      observed: { a: obs(container("a", "exited")) },
      desired: { b: "stopped" },
      now: NOW,
      history: {},
    };
    const before = JSON.stringify(input);
    expect(plan(input)).toEqual(plan(input));
    expect(JSON.stringify(input)).toBe(before);
  });
});

describe("the owner's requests (requested)", () => {
  const backingOff = { web: { failures: 3, nextRetryAt: NOW + 4_000, healthySince: null } };
  const byOwner = (op: "start" | "restart") => ({ requested: { web: op } });

  it.each([
    ["restart policy no, exited non-zero", "no", 1],
    ["restart policy no, exited 0", "no", 0],
    ["restart policy on-failure, exited 0", "on-failure", 0],
  ])("start of an exited app (%s) -> start", (_name, policy, exitCode) => {
    const a = app("web", { policy });
    const exited = obs(container("web", "exited", { exitCode }));
    expect(planOne(a, exited).actions).toEqual([]);
    expect(planOne(a, exited, byOwner("start")).actions).toEqual([
      {
        kind: "start",
        app: "web",
        reason: "start requested by the owner",
        container: "archy-web",
      },
    ]);
  });

  it("start of an exited app backing off -> start at once; without the request it waits", () => {
    const exited = obs(container("web", "exited"));
    expect(planOne(app("web"), exited, { history: backingOff }).skipped).toMatchObject([
      { stopReason: "backoff" },
    ]);
    expect(
      planOne(app("web"), exited, { history: backingOff, ...byOwner("start") }).actions,
    ).toMatchObject([{ kind: "start", reason: "start requested by the owner" }]);
  });

  it("start of a missing app backing off -> create", () => {
    expect(planOne(app("web"), obs(null), { history: backingOff }).actions).toEqual([]);
    expect(
      planOne(app("web"), obs(null), { history: backingOff, ...byOwner("start") }).actions,
    ).toMatchObject([{ kind: "create", reason: "container missing" }]);
  });

  it("start of an exited app whose config changed -> recreate", () => {
    expect(
      planOne(
        app("web", { policy: "no" }),
        obs(container("web", "exited"), { wantedHash: "H2" }),
        byOwner("start"),
      ).actions,
    ).toMatchObject([{ kind: "recreate", reason: "start requested by the owner" }]);
  });

  it("restart of a running healthy app -> restart; a start or no request -> nothing", () => {
    const a = app("web", { health: true });
    const healthy = obs(container("web", "running"), { health: "healthy" });
    expect(planOne(a, healthy, byOwner("restart")).actions).toEqual([
      {
        kind: "restart",
        app: "web",
        reason: "restart requested by the owner",
        container: "archy-web",
      },
    ]);
    for (const more of [byOwner("start"), {}]) {
      const p = planOne(a, healthy, more);
      expect(p.actions).toEqual([]);
      expect(p.converged).toEqual(["web"]);
    }
  });

  it("a request for another app changes nothing for this one", () => {
    const a = app("web", { policy: "no" });
    const exited = obs(container("web", "exited"));
    expect(planOne(a, exited, { requested: { db: "start" } })).toEqual(planOne(a, exited));
  });
});

describe("countsAsFailure", () => {
  it("only the restart of an unhealthy app carries it", () => {
    const a = app("web", { health: true });
    const unhealthy = planOne(a, obs(container("web", "running"), { health: "unhealthy" }));
    expect(unhealthy.actions).toEqual([
      {
        kind: "restart",
        app: "web",
        reason: "unhealthy past its retries",
        container: "archy-web",
        countsAsFailure: true,
      },
    ]);
    const others = [
      planOne(a, obs(null)),
      planOne(a, obs(container("web", "exited"))),
      planOne(a, obs(container("web", "running"), { wantedHash: "H2", health: "unhealthy" })),
      planOne(a, obs(container("web", "paused"))),
      planOne(a, obs(container("web", "running"), { health: "healthy" }), {
        requested: { web: "restart" },
      }),
      planOne(a, obs(container("web", "running")), { desired: { web: "stopped" } }),
    ].flatMap((p) => p.actions);
    expect(others.map((x) => x.kind)).toEqual([
      "create",
      "start",
      "recreate",
      "recreate",
      "restart",
      "stop",
    ]);
    for (const action of others) expect(action).not.toHaveProperty("countsAsFailure");
  });
});
