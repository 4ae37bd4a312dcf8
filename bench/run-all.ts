// Runs every benchmark in one process, one after the other.
import { benchRuntimeStatus } from "./runtime-status.js";

await benchRuntimeStatus();
