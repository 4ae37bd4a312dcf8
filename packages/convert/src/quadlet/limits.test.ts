// Apps a Quadlet unit cannot say as archy means them are refused one by one
// (test/quadlet-refusals.p5.test.ts shows podman's generator getting each
// of them wrong); what the generator does carry is not refused.
import type { AppManifest } from "@archy/reconciler";
import { beforeAll, describe, expect, it } from "vitest";
import { ConvertError } from "../errors.js";
import { loadApps, OUT, REFUSED, WORDS } from "./export.fixtures.js";
import { exportQuadlet } from "./export.js";
import { quadletRefusals } from "./limits.js";

let refused: AppManifest[];
let words: AppManifest[];
beforeAll(async () => {
  refused = await loadApps(REFUSED);
  words = await loadApps(WORDS);
});

const summary = (errors: readonly ConvertError[]) =>
  errors.map((e) => `${e.code} ${e.app} ${e.field}`);

describe("quadletRefusals", () => {
  it("refuses an empty command word, a lone ';' and a secret value with a line break, naming app and field", () => {
    const out = exportQuadlet(refused, { outDir: OUT });
    expect(summary(out.refused)).toEqual([
      "EUNSUPPORTED cert container.env.TLS_KEY",
      "EUNSUPPORTED redis container.command[2]",
      "EUNSUPPORTED split container.command[2]",
    ]);
    for (const e of out.refused) expect(ConvertError.isInstance(e)).toBe(true);
    const [cert, redis, split] = out.refused.map((e) => e.message);
    expect(redis).toMatch(
      /^app redis: container\.command\[2\] is an empty word: Quadlet's Exec= drops it and every word after it .* so the unit would run another command$/,
    );
    expect(split).toMatch(
      /^app split: container\.command\[2\] is a lone ";": .*systemd reads it as the end of one command/,
    );
    expect(cert).toMatch(/^app cert: container\.env\.TLS_KEY is a secret value with a line break/);
    // Nothing of a refused app is written, not even its env file.
    expect(out.files.map((f) => f.name)).toEqual(["archy-worker.container"]);
  });

  it("still exports the apps that depend on a refused one, saying its unit must exist", () => {
    const out = exportQuadlet(refused, { outDir: OUT });
    expect(out.notes).toContain(
      "worker: depends on redis, which is not in this export: archy-redis.service must exist.",
    );
    expect(out.files[0]!.text).toContain("Requires=archy-redis.service\n");
  });

  it("does not refuse what the generator carries: empty words in entrypoint and health command, odd words and host paths", () => {
    expect(words.map((a) => quadletRefusals(a))).toEqual([[]]);
    const out = exportQuadlet(words, { outDir: OUT });
    expect(out.refused).toEqual([]);
    expect(out.files.map((f) => f.name)).toEqual(["archy-edge.container", "archy-edge.env"]);
  });

  it("gives one error per field, and refuses NUL characters anywhere podman would get them", () => {
    const [edge] = words;
    const app: AppManifest = {
      ...edge!,
      container: {
        ...edge!.container,
        command: ["a", "", ";", "\u0000"],
        env: { X: "a\u0000b", TOKEN: "a\rb" },
        healthcheck: { ...edge!.container.healthcheck!, kind: "cmd", cmd: ["x\u0000"] },
      },
    };
    expect(summary(quadletRefusals(app))).toEqual([
      "EUNSUPPORTED edge container.command[1]",
      "EUNSUPPORTED edge container.command[2]",
      "EUNSUPPORTED edge container.command[3]",
      "EUNSUPPORTED edge container.healthcheck.cmd[0]",
      "EUNSUPPORTED edge container.env.X",
      "EUNSUPPORTED edge container.env.TOKEN",
    ]);
  });
});
