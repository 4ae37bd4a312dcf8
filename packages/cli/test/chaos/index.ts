export {
  runTorture,
  formatViolation,
  type TortureOptions,
  type TortureResult,
  type Violation,
} from "./torture.js";
export { Prng, randomSeed } from "./prng.js";
