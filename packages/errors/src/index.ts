export { ArchyError } from "./archy-error.js";
