import { FakeRuntime, VirtualClock } from "@archy/runtime-podman/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StatusPoll } from "./status-poll.js";

let clock: VirtualClock;
let fake: FakeRuntime;
beforeEach(async () => {
  clock = new VirtualClock();
  fake = new FakeRuntime({ clock, images: ["localhost/web:1"] });
  for (const name of ["archy-a", "archy-b", "archy-c"]) {
    await fake.createContainer({ name, image: "localhost/web:1", labels: {} });
    await fake.startContainer(name);
  }
});
afterEach(() => fake.dispose());

const polls = () => fake.calls.filter((c) => c.method === "listContainers").length;

describe("StatusPoll", () => {
  it("askers due at about the same time share one podman ps; none is answered early", async () => {
    const poll = new StatusPoll(fake, clock);
    const t0 = clock.now();
    const answers: [string, number][] = [];
    const ask = (name: string, delay: number) =>
      poll.status(name, delay).then((s) => answers.push([s!.name, clock.now() - t0]));
    const all = Promise.all([ask("archy-a", 1_000), ask("archy-b", 1_020), ask("archy-c", 2_000)]);
    await clock.advance(999);
    expect(answers).toEqual([]);
    expect(polls()).toBe(0);
    await clock.advance(2_000);
    await all;
    // a and b from one ps at 1050 ms; c from a second one at 2050 ms.
    expect(answers).toEqual([
      ["archy-a", 1_050],
      ["archy-b", 1_050],
      ["archy-c", 2_050],
    ]);
    expect(polls()).toBe(2);
  });

  it("takes no ps while other podman work is in flight; answers every due asker right after", async () => {
    let busy = true;
    const poll = new StatusPoll(fake, clock, { busy: () => busy });
    const t0 = clock.now();
    const answered: number[] = [];
    const asks = ["archy-a", "archy-b"].map((name, i) =>
      poll.status(name, 100 * (i + 1)).then(() => answered.push(clock.now() - t0)),
    );
    await clock.advance(1_000);
    expect(answered).toEqual([]);
    expect(polls()).toBe(0);
    busy = false;
    await clock.advance(50);
    await Promise.all(asks);
    expect(answered).toEqual([1_050, 1_050]);
    expect(polls()).toBe(1);
  });

  it("waits for podman work at most maxDeferMs (a long build never starves a start's check)", async () => {
    const poll = new StatusPoll(fake, clock, { busy: () => true, maxDeferMs: 1_000 });
    const t0 = clock.now();
    const asked = poll.status("archy-a", 100).then(() => clock.now() - t0);
    await clock.advance(2_000);
    expect(await asked).toBe(1_150);
    expect(polls()).toBe(1);
  });

  it("by default waits up to 5 s for podman work: one ps where a stream of runs had five", async () => {
    const poll = new StatusPoll(fake, clock, { busy: () => true });
    const t0 = clock.now();
    const asked = ["archy-a", "archy-b", "archy-c"].map((name, i) =>
      poll.status(name, 1_000 * (i + 1)).then(() => clock.now() - t0),
    );
    await clock.advance(7_000);
    expect(await Promise.all(asked)).toEqual([6_050, 6_050, 6_050]);
    expect(polls()).toBe(1);
  });

  it("a container that is gone is null; a failed ps is asked again, and rejects the askers only after 3 in a row", async () => {
    const poll = new StatusPoll(fake, clock, { batchMs: 10 });
    await fake.removeContainer("archy-a", { force: true });
    const gone = poll.status("archy-a", 100);
    await clock.advance(200);
    expect(await gone).toBeNull();

    // Two failures (garbled output, a timeout): the third ps answers.
    fake.failNext("listContainers", undefined, { times: 2 });
    const retried = poll.status("archy-b", 100);
    await clock.advance(1_000);
    expect((await retried)?.state).toBe("running");

    fake.failNext("listContainers", undefined, { times: 3 });
    const failed = poll.status("archy-b", 100);
    const later = poll.status("archy-c", 2_000);
    const failure = expect(failed).rejects.toThrow(/scripted failure of listContainers/);
    await clock.advance(1_000);
    await failure;
    await clock.advance(2_000);
    expect((await later)?.state).toBe("running");
  });
});
