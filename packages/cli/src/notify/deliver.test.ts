// Each kind of target against a real receiver: an HTTP server on loopback,
// a command that writes its stdin to a file.
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Notice } from "./alerts.js";
import { deliver, signature, SIGNATURE_HEADER } from "./deliver.js";

const notice: Notice = {
  id: "crash-loop:web@2026-12-08T10:00:00.000Z:open",
  key: "crash-loop:web",
  app: "web",
  problem: "crash-loop",
  state: "open",
  at: "2026-12-08T10:00:00.000Z",
  summary: "web keeps failing to run",
};

describe("delivering", () => {
  let server: Server;
  let base: string;
  const got: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        got.push({ path: req.url ?? "", headers: req.headers, body });
        if (req.url === "/hang") return; // never answers
        res.writeHead(req.url === "/fail" ? 500 : 204).end();
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("a webhook: the JSON, signed with the secret's HMAC; 204 is delivered, 500 is not", async () => {
    const hook = { kind: "webhook", name: "h", url: `${base}/hook`, secret: "s3cret" } as const;
    expect(await deliver(hook, notice, 2_000)).toEqual({ ok: true, answer: "HTTP 204" });
    const req = got.at(-1)!;
    expect(JSON.parse(req.body)).toMatchObject({
      ...notice,
      source: "archy",
      host: expect.any(String),
    });
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers[SIGNATURE_HEADER]).toBe(signature("s3cret", req.body));
    expect(await deliver({ ...hook, url: `${base}/fail` }, notice, 2_000)).toEqual({
      ok: false,
      answer: "HTTP 500",
    });
  });

  it("a target that does not answer is given up within the allowance; one that is not there says so", async () => {
    const t0 = Date.now();
    const hung = await deliver(
      { kind: "webhook", name: "h", url: `${base}/hang`, secret: null },
      notice,
      300,
    );
    expect(hung).toEqual({ ok: false, answer: "no answer within 300 ms" });
    expect(Date.now() - t0).toBeLessThan(2_000);
    const closed = createServer().listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as { port: number }).port;
    closed.close();
    const refused = await deliver(
      { kind: "webhook", name: "h", url: `http://127.0.0.1:${port}/`, secret: null },
      notice,
      2_000,
    );
    expect(refused).toEqual({ ok: false, answer: "ECONNREFUSED" });
  });

  it("ntfy: the summary as the body; title, priority, tags and the token as headers", async () => {
    const r = await deliver(
      { kind: "ntfy", name: "n", url: `${base}/topic`, token: "tk" },
      notice,
      2_000,
    );
    expect(r.ok).toBe(true);
    const req = got.at(-1)!;
    expect(req.body).toBe("web keeps failing to run");
    expect(req.headers).toMatchObject({
      title: "archy: web crash-loop (open)",
      priority: "high",
      tags: "warning",
      authorization: "Bearer tk",
    });
  });

  it("a command: the JSON on its stdin; exit 0 is delivered, another exit says why", async () => {
    const dir = await mkdtemp(join(tmpdir(), "archy-deliver-"));
    try {
      const out = join(dir, "got.json");
      const ok = await deliver(
        { kind: "command", name: "c", argv: ["sh", "-c", `cat > ${out}`] },
        notice,
        5_000,
      );
      expect(ok).toEqual({ ok: true, answer: "exit 0" });
      expect(JSON.parse(await readFile(out, "utf8"))).toMatchObject(notice);
      const bad = await deliver(
        { kind: "command", name: "c", argv: ["sh", "-c", "echo nope >&2; exit 3"] },
        notice,
        5_000,
      );
      expect(bad).toEqual({ ok: false, answer: "exit 3: nope" });
      const missing = await deliver(
        { kind: "command", name: "c", argv: [join(dir, "absent")] },
        notice,
        5_000,
      );
      expect(missing.ok).toBe(false);
      expect(missing.answer).toMatch(/ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
