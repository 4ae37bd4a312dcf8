// Runs every benchmark in one process, one after the other.
import { benchCli } from "./cli.js";
import { benchReconciler } from "./reconciler.js";
import { benchRuntimeStatus } from "./runtime-status.js";
import { benchScale } from "./scale.js";
import { benchSpeed } from "./speed.js";
import { benchUpdate } from "./update.js";

await benchRuntimeStatus();
await benchReconciler();
await benchCli();
await benchSpeed();
await benchScale();
await benchUpdate();
