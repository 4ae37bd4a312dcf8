// The archy program the torture runs, copied once at its start: other work in
// the same checkout may rebuild packages/cli/dist meanwhile (the file is
// absent for a moment), which must not look like a defect of archy's.
import { cp, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { root } from "../harness.js";

export interface FrozenCli {
  /** The copy's bin/archy.js. */
  bin: string;
  remove(): Promise<void>;
}

/**
 * Copies bin/ and dist/bin/ of packages/cli under its node_modules, where the
 * program's own dependencies (pino, ...) still resolve.
 */
export async function frozenCli(): Promise<FrozenCli> {
  const pkg = join(root, "packages", "cli");
  const dir = join(pkg, "node_modules", `.archy-torture-${process.pid}-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  try {
    await cp(join(pkg, "bin"), join(dir, "bin"), { recursive: true });
    await cp(join(pkg, "dist", "bin"), join(dir, "dist", "bin"), { recursive: true });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`cannot copy the built CLI (run the build first): ${String(error)}`, {
      cause: error,
    });
  }
  return {
    bin: join(dir, "bin", "archy.js"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
