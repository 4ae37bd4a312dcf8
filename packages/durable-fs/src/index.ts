export { nodeFs } from "./node-fs.js";
export type { DurableFs, WritableFile } from "./types.js";
export {
  ignoreMissing,
  makeDirDurably,
  tempPathFor,
  unlinkDurably,
  writeFileDurably,
  writeNewFileSynced,
} from "./write.js";
export type { WriteDurablyOptions } from "./write.js";
