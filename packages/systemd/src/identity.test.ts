import { describe, expect, it } from "vitest";
import { readServiceIdentity, unitFromCgroup } from "./identity.js";

describe("unitFromCgroup", () => {
  it.each<[string, string, ReturnType<typeof unitFromCgroup>]>([
    [
      "the system manager",
      "0::/system.slice/archy.service\n",
      { unit: "archy.service", manager: "system" },
    ],
    [
      "a user manager",
      "0::/user.slice/user-1000.slice/user@1000.service/app.slice/archy.service\n",
      { unit: "archy.service", manager: "user" },
    ],
    [
      "a hybrid host (cgroup v1 name=systemd)",
      "12:pids:/system.slice/archy.service\n1:name=systemd:/system.slice/archy.service\n",
      { unit: "archy.service", manager: "system" },
    ],
    ["a login session", "0::/user.slice/user-1000.slice/session-3.scope\n", null],
    [
      "the user manager itself",
      "0::/user.slice/user-1000.slice/user@1000.service/init.scope\n",
      {
        unit: "user@1000.service",
        manager: "system",
      },
    ],
    ["nothing", "", null],
  ])("%s", (_what, text, expected) => expect(unitFromCgroup(text)).toEqual(expected));
});

describe("readServiceIdentity", () => {
  it("null without INVOCATION_ID", async () => {
    expect(
      await readServiceIdentity({}, () => Promise.resolve("0::/system.slice/archy.service")),
    ).toBeNull();
  });

  it("the invocation, its unit and manager, whether it may notify", async () => {
    const id = await readServiceIdentity(
      { INVOCATION_ID: "abc123", NOTIFY_SOCKET: "/run/systemd/notify" },
      () => Promise.resolve("0::/system.slice/archy.service\n"),
    );
    expect(id).toEqual({
      invocationId: "abc123",
      unit: "archy.service",
      manager: "system",
      notify: true,
    });
  });

  it("an unreadable cgroup file leaves the unit unknown", async () => {
    const id = await readServiceIdentity({ INVOCATION_ID: "abc" }, () =>
      Promise.reject(new Error("EACCES")),
    );
    expect(id).toEqual({ invocationId: "abc", unit: null, manager: null, notify: false });
  });
});
