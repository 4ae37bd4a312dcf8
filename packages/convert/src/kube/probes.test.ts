import { describe, expect, it } from "vitest";
import { app } from "./kube.fixtures.js";
import { probesOf } from "./probes.js";

const withCheck = (check: string) =>
  app(`  id: demo
  name: Demo
  version: 1
  container:
    image: docker.io/library/alpine:3
    healthcheck:
${check}`);

describe("probesOf", () => {
  it("http → httpGet with archy's timings, as liveness and readiness", () => {
    const p = probesOf(
      withCheck(`      http: { port: 8080, path: /health }
      interval: 15s
      timeout: 1500ms
      retries: 4
      start_period: 20s
`),
    )!;
    const expected = {
      httpGet: { path: "/health", port: 8080 },
      periodSeconds: 15,
      timeoutSeconds: 2,
      failureThreshold: 4,
      initialDelaySeconds: 20,
    };
    expect(p.livenessProbe).toEqual(expected);
    expect(p.readinessProbe).toEqual(expected);
    expect(p.notes[0]).toMatch(/`curl -f http:\/\/localhost:8080\/health`/);
  });

  it("tcp → tcpSocket; no initialDelaySeconds without a start period", () => {
    const p = probesOf(withCheck(`      tcp: { port: 5432 }\n      interval: 500ms\n`))!;
    expect(p.livenessProbe).toMatchObject({ tcpSocket: { port: 5432 }, periodSeconds: 1 });
    expect(p.livenessProbe.initialDelaySeconds).toBeUndefined();
    expect(p.notes[0]).toMatch(/`nc -z -v localhost 5432`/);
  });

  it("cmd → exec with the words as given; a note only when podman's joining would change them", () => {
    const plain = probesOf(withCheck(`      cmd: ["wget", "-qO-", "http://127.0.0.1:8082/"]\n`))!;
    expect(plain.livenessProbe).toMatchObject({
      exec: { command: ["wget", "-qO-", "http://127.0.0.1:8082/"] },
    });
    expect(plain.notes).toEqual([]);
    const shell = probesOf(withCheck(`      cmd: ["sh", "-c", "test -f /ready"]\n`))!;
    expect(shell.livenessProbe).toMatchObject({
      exec: { command: ["sh", "-c", "test -f /ready"] },
    });
    expect(shell.notes[0]).toMatch(/joins the exec probe's words with spaces/);
  });

  it("no health check, no probe", () => {
    expect(
      probesOf(app(`  id: demo\n  name: Demo\n  version: 1\n  container:\n    image: a/b:1\n`)),
    ).toBeNull();
  });
});
