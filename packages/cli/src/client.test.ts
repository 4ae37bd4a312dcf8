import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CliError } from "./cli-error.js";
import { DaemonClient } from "./client.js";

let root: string;
let socketPath: string;
let server: Server | null;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "archy-client-"));
  socketPath = join(root, "archy.sock");
  server = null;
});
afterEach(async () => {
  server?.closeAllConnections();
  if (server?.listening) await new Promise((resolve) => server!.close(resolve));
  await rm(root, { recursive: true, force: true });
});

async function listen(s: Server): Promise<void> {
  server = s;
  s.listen(socketPath);
  await once(s, "listening");
}

/** A server whose /v1/events handler the test drives by hand. */
async function sseServer(): Promise<{ next(): Promise<ServerResponse> }> {
  const waiting: ((res: ServerResponse) => void)[] = [];
  const arrived: ServerResponse[] = [];
  await listen(
    createServer((req, res) => {
      if (req.url !== "/v1/events") {
        res.writeHead(404, { "content-type": "application/json" });
        res.end('{"error":{"message":"no such endpoint","exitCode":2}}');
        return;
      }
      const w = waiting.shift();
      if (w) w(res);
      else arrived.push(res);
    }),
  );
  return {
    next: () => {
      const res = arrived.shift();
      return res ? Promise.resolve(res) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

const sse = (res: ServerResponse) =>
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });

describe("DaemonClient.subscribe / events", () => {
  it("parses events split across chunks, multi-line data, and ignores comments and keep-alives", async () => {
    const handlers = await sseServer();
    const client = new DaemonClient(socketPath);
    const ac = new AbortController();
    const subscribed = client.subscribe(ac.signal);
    const res = await handlers.next();
    sse(res);
    res.write(": archy events\n\n");
    const stream = (await subscribed)[Symbol.asyncIterator]();

    // One whole event and the first half of the next, in one write.
    res.write('data: {"type":"phase","app":"a"}\n\nda');
    expect((await stream.next()).value).toEqual({ type: "phase", app: "a" });
    // The client has handed out the first event, so the rest of the second
    // one necessarily reaches it in later chunks, cut mid-field and mid-line.
    res.write('ta: {"type":"wa');
    res.write('ke",\n');
    res.write(": a comment inside the event\n");
    res.write('data: "reason":"x"}\n');
    res.write("\n: keep-alive\n\n");
    // Multi-line data (joined with a newline), CRLF line ends, id and event fields.
    res.write('id: 7\r\nevent: message\r\ndata: {"type":\r\ndata:  "pass"}\r\n\r\n');
    // An event with empty data is no event.
    res.write("data:\n\n");
    res.write('data: {"n":1}\n\n');
    expect((await stream.next()).value).toEqual({ type: "wake", reason: "x" });
    expect((await stream.next()).value).toEqual({ type: "pass" });
    expect((await stream.next()).value).toEqual({ n: 1 });

    ac.abort();
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it("resolves only once the daemon has sent the response headers", async () => {
    const handlers = await sseServer();
    const client = new DaemonClient(socketPath);
    const ac = new AbortController();
    let resolved = false;
    const subscribed = client.subscribe(ac.signal).then((s) => {
      resolved = true;
      return s;
    });
    const res = await handlers.next();
    // The daemon has the request but has not accepted it yet.
    await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false);
    sse(res);
    res.flushHeaders();
    await subscribed;
    expect(resolved).toBe(true);
    ac.abort();
  });

  it("ends when the daemon closes the stream", async () => {
    const handlers = await sseServer();
    const events = new DaemonClient(socketPath).events();
    const seen: unknown[] = [];
    const done = (async () => {
      for await (const e of events) seen.push(e);
    })();
    const res = await handlers.next();
    sse(res);
    res.end('data: {"last":true}\n\n');
    await done;
    expect(seen).toEqual([{ last: true }]);
  });

  it("an event that is not JSON: a CliError", async () => {
    const handlers = await sseServer();
    const events = new DaemonClient(socketPath).events();
    const first = (async () => {
      for await (const e of events) return e;
    })();
    const res = await handlers.next();
    sse(res);
    res.write("data: {not json\n\n");
    const err = await first.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toContain("not JSON: {not json");
  });

  it("a daemon that refuses the stream: a CliError naming its status", async () => {
    await listen(createServer((_req, res) => res.writeHead(503).end()));
    const err = await new DaemonClient(socketPath).subscribe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toBe("the daemon refused the event stream (503)");
  });

  it("an abort before the daemon answers: subscribe() rejects, events() ends quietly", async () => {
    const asked: (() => void)[] = [];
    await listen(createServer(() => asked.shift()?.())); // never answers
    const client = new DaemonClient(socketPath);

    let ac = new AbortController();
    let arrived = new Promise<void>((resolve) => asked.push(resolve));
    const subscribed = client.subscribe(ac.signal);
    await arrived;
    ac.abort();
    await expect(subscribed).rejects.toThrow();

    ac = new AbortController();
    arrived = new Promise<void>((resolve) => asked.push(resolve));
    const seen: unknown[] = [];
    const done = (async () => {
      for await (const e of client.events(ac.signal)) seen.push(e);
    })();
    await arrived;
    ac.abort();
    await done;
    expect(seen).toEqual([]);
    await expect(client.subscribe(ac.signal)).rejects.toThrow();
  });
});

describe("DaemonClient.request / get", () => {
  /** A server answering every request with `answer`, recording what it was asked. */
  async function answering(
    answer: (res: ServerResponse, body: string) => void,
  ): Promise<{ method?: string; url?: string; body: string }[]> {
    const asked: { method?: string; url?: string; body: string }[] = [];
    await listen(
      createServer((req, res) => {
        let body = "";
        req.setEncoding("utf8");
        req.on("data", (d: string) => (body += d));
        req.on("end", () => {
          asked.push({ method: req.method, url: req.url, body });
          answer(res, body);
        });
      }),
    );
    return asked;
  }
  const json = (res: ServerResponse, status: number, value: unknown) => {
    const text = JSON.stringify(value);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
    });
    res.end(text);
  };

  it("sends the method, path and JSON body; resolves with the JSON answer", async () => {
    const asked = await answering((res, body) => json(res, 202, { echo: JSON.parse(body) }));
    const client = new DaemonClient(socketPath);
    expect(await client.request("POST", "/v1/apps?x=1", { manifest: "é ✓" })).toEqual({
      echo: { manifest: "é ✓" },
    });
    expect(asked).toEqual([{ method: "POST", url: "/v1/apps?x=1", body: '{"manifest":"é ✓"}' }]);
  });

  it("reads an answer in chunks, and one larger than a socket read", async () => {
    const big = { apps: Array.from({ length: 2_000 }, (_, i) => ({ id: `app${i}`, é: "✓" })) };
    await answering((res) => {
      res.writeHead(200, { "content-type": "application/json" }); // no length: chunked
      const text = JSON.stringify(big);
      res.write(text.slice(0, 1000));
      res.end(text.slice(1000));
    });
    expect(await new DaemonClient(socketPath).request("GET", "/v1/apps")).toEqual(big);
  });

  it("an error answer: a CliError with the daemon's message and exit code", async () => {
    await answering((res) => json(res, 400, { error: { message: "unknown app: x", exitCode: 2 } }));
    const err = await new DaemonClient(socketPath).request("GET", "/v1/apps/x").catch((e) => e);
    expect(CliError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ message: "unknown app: x", exitCode: 2 });
  });

  it("an answer that is not JSON: a CliError naming the status", async () => {
    await answering((res) => res.writeHead(200, { "content-length": 4 }).end("nope"));
    const err = await new DaemonClient(socketPath).request("GET", "/v1/apps").catch((e) => e);
    expect(err).toMatchObject({
      message: "the daemon answered 200 with invalid JSON",
      exitCode: 1,
    });
  });

  it("get: the answer and a client; null without a daemon or without an answer in time", async () => {
    expect(await DaemonClient.get(socketPath, "/v1/apps")).toBeNull();
    await answering((res) => json(res, 200, { apps: [] }));
    const answer = await DaemonClient.get<{ apps: unknown[] }>(socketPath, "/v1/apps");
    expect(answer?.body).toEqual({ apps: [] });
    expect(await answer?.daemon.request("GET", "/v1/daemon")).toEqual({ apps: [] });
  });

  it("a daemon that does not answer within the timeout: rejected", async () => {
    await answering(() => undefined);
    await expect(
      new DaemonClient(socketPath).request("GET", "/v1/apps", undefined, 100),
    ).rejects.toThrow("timeout");
  });
});
