export { main } from "./cli.js";
export { createContext, defaultManifestsDir, defaultStateDir, podmanArgs } from "./context.js";
export type { Context, GlobalOptions } from "./context.js";
export { classify, CliError, EXIT } from "./errors.js";
export type { ExitCode } from "./errors.js";
export { DaemonClient } from "./client.js";
export { runDaemon } from "./daemon/run.js";
export { appView } from "./views.js";
export type { AppView, AppsPayload } from "./views.js";
