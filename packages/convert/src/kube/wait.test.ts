import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { app, expectValidKube } from "./kube.fixtures.js";
import { shellWord, waitContainers } from "./wait.js";

const web = app(`  id: web
  name: Web
  version: 1
  container:
    image: a/web:1
    ports: ["8080:8080"]
    healthcheck:
      http: { port: 8080, path: "/health?full=1&x='y'" }
`);
const client = app(`  id: client
  name: Client
  version: 1
  depends_on: [web]
  container:
    image: a/client:1
`);

// The generated script run by /bin/sh with a fake wget that logs its
// arguments and answers as told: the shell syntax and quoting are real.
const bin = mkdtempSync(join(tmpdir(), "archy-wait-"));
afterAll(() => rmSync(bin, { recursive: true, force: true }));
function runScript(script: string, answer: "yes" | "no") {
  const log = join(bin, "wget.log");
  writeFileSync(log, "");
  writeFileSync(
    join(bin, "wget"),
    `#!/bin/sh\nfor a in "$@"; do printf '[%s]' "$a" >> ${log}; done; echo >> ${log}\n[ ${answer} = yes ]\n`,
  );
  chmodSync(join(bin, "wget"), 0o755);
  const sleep = execFileSync("sh", ["-c", "command -v sleep"], { encoding: "utf8" }).trim();
  writeFileSync(join(bin, "sleep"), `#!/bin/sh\nexec ${sleep} 0.2\n`);
  chmodSync(join(bin, "sleep"), 0o755);
  const r = spawnSync("sh", ["-c", script], {
    encoding: "utf8",
    env: { PATH: `${bin}:/usr/bin:/bin` },
    timeout: 15_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, wget: readFileSync(log, "utf8") };
}

describe("waitContainers", () => {
  const known = new Map([["web", web]]);
  const { initContainers } = waitContainers(client, known, {
    image: "busybox",
    timeoutSeconds: 1,
    kind: "Pod",
  });
  const script = (initContainers[0]!.command as string[])[2]!;

  it("is a valid init container running sh -c", () => {
    expect(initContainers[0]).toMatchObject({
      name: "wait-for-web",
      image: "busybox",
      imagePullPolicy: "IfNotPresent",
      command: ["sh", "-c", script],
    });
    expectValidKube({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "archy-client" },
      spec: { initContainers, containers: [{ name: "client", image: "a/client:1" }] },
    });
  });

  it("ends at once when the dependency answers, with the URL as one word", () => {
    const r = runScript(script, "yes");
    expect(r.status).toBe(0);
    expect(r.wget).toBe("[-q][-T][5][-O][/dev/null][http://archy-web:8080/health?full=1&x='y']\n");
  });

  it("keeps waiting, then fails after its timeout with a message", () => {
    const r = runScript(script, "no");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      "archy: waiting for web at http://archy-web:8080/health?full=1&x='y'",
    );
    expect(r.stderr).toContain(
      "archy: web did not answer at http://archy-web:8080/health?full=1&x='y' within 1s",
    );
  });

  it("shellWord quotes what sh would split or expand", () => {
    expect(shellWord("/index.html")).toBe("/index.html");
    expect(shellWord("a b")).toBe("'a b'");
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
  });

  it("the schema check refuses a broken object (the validation is not a no-op)", () => {
    expect(() =>
      expectValidKube({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "Bad_Name" },
        spec: { containers: [{ name: "x", image: "a", ports: [{ containerPort: "80" }] }] },
      }),
    ).toThrow();
  });
});
