export { systemClock } from "./clock.js";
export type { Clock } from "./clock.js";
export { SystemdError } from "./errors.js";
export type { SystemdErrorCode } from "./errors.js";
export { readServiceIdentity, unitFromCgroup } from "./identity.js";
export type { ServiceIdentity } from "./identity.js";
export { createNotifier, watchdogUsecFor } from "./notify.js";
export type { Notifier, NotifierOptions } from "./notify.js";
export {
  environmentAssignment,
  escapeSpecifiers,
  execLine,
  pathList,
  quoteWord,
  splitWords,
} from "./quote.js";
export { execaRunner } from "./runner.js";
export type { RunRequest, RunResult, Runner } from "./runner.js";
export { installService, lingerEnabled, serviceStatus, uninstallService } from "./service.js";
export type { InstallResult, ServicePlace, ServiceStatus, UninstallResult } from "./service.js";
export {
  assertSystemdRunning,
  isSystemdRunning,
  parseShow,
  SHOW_PROPERTIES,
  Systemctl,
  unitStateOf,
} from "./systemctl.js";
export type { SystemctlOptions, UnitState } from "./systemctl.js";
export {
  PASSED_ENVIRONMENT,
  readUnitOptions,
  renderServiceUnit,
  UNIT_NAME,
  unitPath,
} from "./unit.js";
export type { InstalledUnitOptions, ManagerMode, ServiceUnitOptions } from "./unit.js";
