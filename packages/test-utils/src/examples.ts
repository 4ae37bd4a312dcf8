import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./temp.js";

/** The repository's `examples/` folder. */
export const EXAMPLES_DIR = fileURLToPath(new URL("../../../examples", import.meta.url));

/** The example apps and the host port each publishes in `examples/apps`. */
const EXAMPLE_PORTS = { web: 18080, clock: 18081, greeter: 18082 } as const;
export type ExampleApp = keyof typeof EXAMPLE_PORTS;

/**
 * Copies `examples/` into `dir/examples` (without what the hooks generate)
 * with each app's host port moved to a free one, so tests never clash with
 * each other or with a running demo. Returns the ports by app.
 */
export async function copyExamples(dir: string): Promise<Record<ExampleApp, number>> {
  await cp(EXAMPLES_DIR, join(dir, "examples"), {
    recursive: true,
    filter: (src) => !/\/(web\/rootfs|greeter\/conf)(\/|$)/.test(src),
  });
  const ports = {} as Record<ExampleApp, number>;
  for (const [app, port] of Object.entries(EXAMPLE_PORTS) as [ExampleApp, number][]) {
    ports[app] = await freePort();
    const file = join(dir, "examples/apps", `${app}.yaml`);
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace(`127.0.0.1:${port}:`, `127.0.0.1:${ports[app]}:`));
  }
  return ports;
}
