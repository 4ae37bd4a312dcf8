import { describe, expect, it } from "vitest";
import {
  initialLog,
  LOG_LINES_KEPT,
  logUrl,
  parseLogLine,
  reduceLog,
  type LogAction,
} from "./logs.js";

const line = (text: string, stream = "stdout"): LogAction => ({
  type: "line",
  data: JSON.stringify({ line: text, stream }),
});

describe("log panel", () => {
  it("asks for the last 200 lines and to follow, with the id escaped", () => {
    expect(logUrl("web")).toBe("/v1/apps/web/logs?tail=200&follow=true");
    expect(logUrl("a/b")).toBe("/v1/apps/a%2Fb/logs?tail=200&follow=true");
  });

  it("reads line events and ignores what is not one", () => {
    expect(parseLogLine('{"line":"hi","stream":"stderr"}')).toEqual({
      text: "hi",
      stream: "stderr",
    });
    expect(parseLogLine('{"line":"hi"}')).toEqual({ text: "hi", stream: "stdout" });
    expect(parseLogLine("not json")).toBeNull();
    expect(parseLogLine('{"stream":"stdout"}')).toBeNull();
    expect(parseLogLine("null")).toBeNull();
  });

  it("drops terminal colour sequences", () => {
    const data = JSON.stringify({
      line: "\u001b[1;31mERROR\u001b[0m disk \u001b]0;title\u0007full",
    });
    expect(parseLogLine(data)?.text).toBe("ERROR disk full");
  });

  it("follows, ends, and starts afresh on a reopen (the stream replays its tail)", () => {
    let s = [{ type: "open" } as LogAction, line("a"), line("b", "stderr")].reduce(
      reduceLog,
      initialLog(),
    );
    expect(s.status).toBe("following");
    expect(s.lines.map((l) => [l.text, l.stream])).toEqual([
      ["a", "stdout"],
      ["b", "stderr"],
    ]);
    s = reduceLog(s, { type: "error", retrying: true });
    expect(s.status).toBe("reconnecting");
    s = reduceLog(s, { type: "open" });
    expect(s.lines).toEqual([]);
    s = reduceLog(reduceLog(s, line("c")), { type: "end" });
    expect(s.status).toBe("ended");
    expect(reduceLog(s, { type: "error", retrying: false }).status).toBe("ended");
    expect(reduceLog(initialLog(), { type: "error", retrying: false }).status).toBe("unavailable");
    expect(reduceLog(s, { type: "connect" }).status).toBe("connecting");
  });

  it("shows the error an end event carries (the app has no container)", () => {
    const s = reduceLog(reduceLog(initialLog(), { type: "open" }), {
      type: "end",
      data: JSON.stringify({
        error: { message: "app web has no container (archy-web)", exitCode: 1 },
      }),
    });
    expect(s).toMatchObject({
      status: "unavailable",
      message: "app web has no container (archy-web)",
    });
    expect(reduceLog(initialLog(), { type: "end", data: "{}" }).status).toBe("ended");
    expect(reduceLog(initialLog(), { type: "end", data: "" }).status).toBe("ended");
    expect(reduceLog(initialLog(), { type: "end", data: '{"error":{}}' }).message).toBe(
      "the daemon could not read the log",
    );
  });

  it("shows the daemon's own error event, which a later connection error does not hide", () => {
    let s = reduceLog(reduceLog(initialLog(), { type: "open" }), {
      type: "failed",
      data: JSON.stringify({ message: "app web has no container (archy-web)", exitCode: 1 }),
    });
    expect(s.status).toBe("unavailable");
    expect(s.message).toBe("app web has no container (archy-web)");
    s = reduceLog(s, { type: "error", retrying: true });
    expect(s.status).toBe("unavailable");
    expect(reduceLog(initialLog(), { type: "failed", data: "?" }).message).toBe(
      "the daemon could not read the log",
    );
    expect(reduceLog(s, { type: "connect" })).toMatchObject({
      status: "connecting",
      message: null,
    });
  });

  it("keeps the last lines only, with keys that never repeat", () => {
    let s = reduceLog(initialLog(), { type: "open" });
    for (let i = 0; i < LOG_LINES_KEPT + 10; i++) s = reduceLog(s, line(String(i)));
    expect(s.lines).toHaveLength(LOG_LINES_KEPT);
    expect(s.lines[0]!.text).toBe("10");
    expect(s.lines[s.lines.length - 1]!.text).toBe(String(LOG_LINES_KEPT + 9));
    expect(new Set(s.lines.map((l) => l.n)).size).toBe(LOG_LINES_KEPT);
  });
});
