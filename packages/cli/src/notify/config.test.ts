// archy.yaml: its targets, defaults, and bad input at file:line:column.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatManifestError } from "@archy/reconciler/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "archy-config-"))));
afterEach(() => rm(dir, { recursive: true, force: true }));

const load = async (text: string) => {
  const file = join(dir, "archy.yaml");
  await writeFile(file, text);
  return loadConfig(file, true);
};

describe("archy.yaml", () => {
  it("targets of each kind, named, with the defaults", async () => {
    const r = await load(`notify:
  targets:
    - webhook: https://hooks.example/archy
      secret: s3cret
    - ntfy: https://ntfy.sh/my-box
      name: phone
    - command: ["/usr/local/bin/page-me", "--loud"]
`);
    expect(r.errors).toEqual([]);
    expect(r.config!.notify).toEqual({
      targets: [
        {
          kind: "webhook",
          name: "webhook hooks.example",
          url: "https://hooks.example/archy",
          secret: "s3cret",
        },
        { kind: "ntfy", name: "phone", url: "https://ntfy.sh/my-box", token: null },
        {
          kind: "command",
          name: "command 3 (/usr/local/bin/page-me)",
          argv: ["/usr/local/bin/page-me", "--loud"],
        },
      ],
      settleMs: 60_000,
      ratePerMinute: 20,
      timeoutMs: 10_000,
    });
  });

  it("bad input: each problem at its line and column, with what was expected", async () => {
    const r = await load(`notify:
  targets:
    - webhook: ftp://x
    - sms: "+100"
  settle: soon
  rate_limt: 5
`);
    const file = join(dir, "archy.yaml");
    expect(r.errors.map(formatManifestError)).toEqual([
      `${file}:3:16: notify.targets[0].webhook: expected an http:// or https:// URL`,
      `${file}:4:7: notify.targets[1]: expected one of webhook: URL, ntfy: URL or command: [words]`,
      `${file}:5:11: notify.settle: expected a duration such as 30s, 5m or 1h`,
      `${file}:6:3: notify.rate_limt: unknown key "rate_limt" (did you mean "rate_limit"?)`,
    ]);
  });

  it("no file: no notifications, unless the file was named", async () => {
    expect(await loadConfig(join(dir, "absent.yaml"), false)).toEqual({
      config: { file: join(dir, "absent.yaml"), notify: null },
      errors: [],
    });
    await expect(loadConfig(join(dir, "absent.yaml"), true)).rejects.toMatchObject({
      code: "ENOENT",
    });
  });
});
