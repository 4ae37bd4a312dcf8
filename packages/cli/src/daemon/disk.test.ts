// The disk watch on scripted statfs answers and virtual time.
import { VirtualClock } from "@archy/runtime-podman/testing";
import { describe, expect, it } from "vitest";
import { describeLow, DiskWatch, lowThreshold, type DiskSpace } from "./disk.js";

const GiB = 1024 ** 3;

describe("the disk watch", () => {
  it("the threshold is the smaller of 5 % and 1 GiB", () => {
    expect(lowThreshold(16 * GiB)).toBeCloseTo(0.8 * GiB);
    expect(lowThreshold(2000 * GiB)).toBe(GiB);
  });

  it("tells each change of the low filesystems, once, every minute", async () => {
    const clock = new VirtualClock(0);
    const free: Record<string, number> = { "/state": 10 * GiB, "/store": 10 * GiB };
    const changes: string[][] = [];
    const watch = new DiskWatch({
      paths: [
        { what: "state folder", path: "/state" },
        { what: "podman storage", path: "/store" },
      ],
      clock,
      onChange: (low) => changes.push(low.map((d) => d.path)),
      statfs: async (path) => ({
        bavail: free[path]! / 4096,
        blocks: (100 * GiB) / 4096,
        bsize: 4096,
      }),
    });
    watch.start();
    await clock.advance(0);
    expect(changes).toEqual([]);
    free["/store"] = 0.5 * GiB;
    await clock.advance(60_000);
    expect(changes).toEqual([["/store"]]);
    await clock.advance(60_000);
    expect(changes).toHaveLength(1); // no change, nothing told
    free["/store"] = 3 * GiB;
    await clock.advance(60_000);
    expect(changes).toEqual([["/store"], []]);
    expect(watch.spaces().map((d) => d.freeBytes)).toEqual([10 * GiB, 3 * GiB]);
    watch.stop();
    expect(clock.pending).toBe(0);
  });

  it("says where, how much is free and the threshold", () => {
    const d: DiskSpace = {
      what: "podman storage",
      path: "/var/lib/containers",
      freeBytes: 0.5 * GiB,
      totalBytes: 100 * GiB,
      thresholdBytes: GiB,
    };
    expect(describeLow(d)).toBe(
      "the podman storage (/var/lib/containers) has 0.5 GiB free of 100.0 GiB, under 1.0 GiB",
    );
  });
});
