import { describe, expect, it } from "vitest";
import { hostAllowed, pageUrl, parseHttpAddress } from "./http-address.js";

describe("parseHttpAddress (--http ADDR)", () => {
  it.each([
    ["7777", "127.0.0.1", 7777, true, false],
    [":7777", "127.0.0.1", 7777, true, false],
    ["127.0.0.1:7777", "127.0.0.1", 7777, true, false],
    ["127.0.0.2:0", "127.0.0.2", 0, true, false],
    ["localhost:80", "localhost", 80, true, false],
    ["[::1]:7777", "::1", 7777, true, false],
    ["0.0.0.0:7777", "0.0.0.0", 7777, false, true],
    ["[::]:7777", "::", 7777, false, true],
    ["192.168.1.5:7777", "192.168.1.5", 7777, false, false],
    ["Server.LAN:7777", "server.lan", 7777, false, false],
  ])("%s", (text, host, port, loopback, wildcard) => {
    expect(parseHttpAddress(text)).toEqual({ host, port, loopback, wildcard });
  });

  it.each([
    ["", "no port"],
    ["127.0.0.1", "no port"],
    ["::1:7777", "no port"],
    ["127.0.0.1:65536", "the port is 0 to 65535"],
    ["127.0.0.1:-1", "no port"],
    ["[127.0.0.1]:7777", "127.0.0.1 is not an IPv6 address"],
    ["-x:7777", "-x is not an address or host name"],
    ["a b:7777", "a b is not an address or host name"],
  ])("%j is bad usage (exit 2): %s", (text, why) => {
    expect(() => parseHttpAddress(text)).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: `invalid --http ${text}: ${why} (expected host:port, [ipv6]:port or :port, such as 127.0.0.1:7777)`,
      }),
    );
  });
});

describe("hostAllowed (the Host header check against DNS rebinding)", () => {
  const loopback = parseHttpAddress("127.0.0.1:7777");
  const v6 = parseHttpAddress("[::1]:7777");
  const everywhere = parseHttpAddress("0.0.0.0:7777");
  const named = parseHttpAddress("server.lan:7777");
  it.each([
    [loopback, "127.0.0.1:7777", true],
    [loopback, "localhost:7777", true],
    [loopback, "LOCALHOST:7777", true],
    [loopback, "127.0.0.1:7778", false],
    [loopback, "127.0.0.1", false],
    [loopback, "evil.example:7777", false],
    [loopback, undefined, false],
    [loopback, "", false],
    [v6, "[::1]:7777", true],
    [v6, "::1:7777", false],
    [everywhere, "192.168.1.5:7777", true],
    [everywhere, "[fe80::1]:7777", true],
    [everywhere, "evil.example:7777", false],
    [named, "server.lan:7777", true],
    [named, "other.lan:7777", false],
  ])("%j %j: %s", (address, header, allowed) => {
    expect(hostAllowed(header, address, 7777)).toBe(allowed);
  });

  it("port 80 may be left out", () => {
    expect(hostAllowed("127.0.0.1", parseHttpAddress("127.0.0.1:80"), 80)).toBe(true);
  });
});

describe("pageUrl", () => {
  it("the bound port; the loopback address for a wildcard one; IPv6 in brackets", () => {
    expect(pageUrl(parseHttpAddress("127.0.0.1:0"), 4321)).toBe("http://127.0.0.1:4321/");
    expect(pageUrl(parseHttpAddress("0.0.0.0:7777"), 7777)).toBe("http://127.0.0.1:7777/");
    expect(pageUrl(parseHttpAddress("[::]:7777"), 7777)).toBe("http://[::1]:7777/");
    expect(pageUrl(parseHttpAddress("[::1]:7777"), 7777)).toBe("http://[::1]:7777/");
  });
});
