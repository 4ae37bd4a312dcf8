// Prints the environment of the demo: a podman store of its own under
// .archy-demo/podman (so the demo never touches your containers), and the
// state and manifests folders. `eval "$(tsx scripts/demo-env.ts)"`.
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isolatedPodmanConfig } from "@archy/test-utils";

const root = resolve(import.meta.dirname, "..");
const demo = join(root, ".archy-demo");
const { globalArgs, env } = await isolatedPodmanConfig({
  dir: join(demo, "podman"),
  bridge: "archydemo0",
  subnet24: "10.90.250.0/24",
});
const vars = {
  CONTAINERS_CONF: env.CONTAINERS_CONF!,
  ARCHY_PODMAN_ARGS: globalArgs.join(" "),
  ARCHY_STATE_DIR: join(demo, "state"),
  ARCHY_MANIFESTS: join(root, "examples", "apps"),
};
const text = `${Object.entries(vars)
  .map(([k, v]) => `export ${k}="${v}"`)
  .join("\n")}\narchy() { node "${join(root, "packages", "cli", "bin", "archy.js")}" "$@"; }\n`;
await writeFile(join(demo, "env"), text);
process.stdout.write(text);
