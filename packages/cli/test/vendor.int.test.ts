// The libraries the program vendors (dist/bin/vendor, see tsup.config.ts) are
// the versions installed now for the packages that use them: a dependency bump
// without a rebuild of the program would ship the old copy, and fails here
// instead. (turbo.json rebuilds the program when pnpm-lock.yaml changes.)
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { installedLibrary, readVendorStamp, vendoredFrom } from "../tsup.config.js";

const bin = fileURLToPath(new URL("../dist/bin/", import.meta.url));
const names = Object.keys(vendoredFrom);

describe("the program's vendored libraries", () => {
  it("are the files of dist/bin/vendor, no more, no fewer", async () => {
    const files = (await readdir(`${bin}vendor`)).sort();
    expect(files).toEqual(names.map((name) => `${name}.cjs`).sort());
  });

  it.each(names)("%s is the version installed for the package that depends on it", async (name) => {
    const stamp = readVendorStamp(await readFile(`${bin}vendor/${name}.cjs`, "utf8"));
    const installed = installedLibrary(name).version;
    expect(stamp, `rebuild the program: ${name} ${installed} is installed`).toEqual({
      name,
      version: installed,
    });
  });

  it("are what the program requires, none from node_modules", async () => {
    const program = await readFile(`${bin}cli.cjs`, "utf8");
    for (const name of names) {
      expect(program).toContain(`require("./vendor/${name}.cjs")`);
      expect(program).not.toMatch(new RegExp(`(require|import)\\("${name}"\\)`));
    }
  });
});
