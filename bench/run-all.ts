// Runs every benchmark in one process, one after the other.
import { benchReconciler } from "./reconciler.js";
import { benchRuntimeStatus } from "./runtime-status.js";

await benchRuntimeStatus();
await benchReconciler();
