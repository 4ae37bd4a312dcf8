import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { probeHttp } from "./probe.js";

let servers: Server[] = [];
let sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets) s.destroy();
  for (const s of servers) await new Promise((r) => s.close(r));
  servers = [];
  sockets = [];
});

/** A TCP server on 127.0.0.1 that does `onSocket` with each connection; its port. */
async function tcpServer(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => undefined); // the probe hangs up when it has read enough
    onSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

describe("probeHttp", () => {
  it("sends one GET with the path, a Host header and Connection: close; a path's spaces and control characters are percent-encoded", async () => {
    const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
    const server = createHttpServer((req, res) => {
      seen.push({ url: req.url ?? "", headers: req.headers });
      res.end("ok");
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    expect(await probeHttp("127.0.0.1", port, "/health?x=1", 1_000)).toBe("healthy");
    expect(await probeHttp("127.0.0.1", port, "/a b\r\nX-Injected: 1", 1_000)).toBe("healthy");
    expect(seen.map((s) => s.url)).toEqual(["/health?x=1", "/a%20b%0D%0AX-Injected:%201"]);
    expect(seen[0]!.headers).toMatchObject({
      host: `127.0.0.1:${port}`,
      connection: "close",
      "user-agent": "archy-healthcheck",
    });
    expect(seen[1]!.headers["x-injected"]).toBeUndefined();
  });

  it("reads the status line however it arrives: split over writes, HTTP/1.0, no reason phrase", async () => {
    const answers = [
      "HTTP/1.0 204 No Content\r\n\r\n",
      "HTTP/1.1 301\r\n\r\n",
      "HTTP/1.1 404 Not Found\r\n\r\n",
    ];
    let next = 0;
    const port = await tcpServer((socket) => {
      const answer = answers[next++]!;
      socket.once("data", () => {
        // One byte at a time: the status line comes in pieces.
        const bytes = [...answer];
        const write = () => {
          const b = bytes.shift();
          if (b === undefined) return socket.end();
          socket.write(b, () => setImmediate(write));
        };
        write();
      });
    });
    expect(await probeHttp("127.0.0.1", port, "/", 1_000)).toBe("healthy");
    expect(await probeHttp("127.0.0.1", port, "/", 1_000)).toBe("healthy");
    expect(await probeHttp("127.0.0.1", port, "/", 1_000)).toBe("unhealthy");
  });

  it("unhealthy: a service that is not HTTP, one that closes without answering, one that never answers", async () => {
    const banner = await tcpServer((socket) => socket.end("SSH-2.0-OpenSSH_9.2\r\n"));
    expect(await probeHttp("127.0.0.1", banner, "/", 1_000)).toBe("unhealthy");
    const closes = await tcpServer((socket) => socket.once("data", () => socket.end()));
    expect(await probeHttp("127.0.0.1", closes, "/", 1_000)).toBe("unhealthy");
    const endless = await tcpServer((socket) =>
      socket.once("data", () => socket.write("x".repeat(2048))),
    );
    expect(await probeHttp("127.0.0.1", endless, "/", 1_000)).toBe("unhealthy");
    const silent = await tcpServer(() => undefined);
    const t0 = Date.now();
    expect(await probeHttp("127.0.0.1", silent, "/", 100)).toBe("unhealthy");
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
