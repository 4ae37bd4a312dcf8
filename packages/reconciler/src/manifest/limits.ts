// The bounds on what one manifest may be, and its bytes as text: no YAML
// library here, so the folder's reading side can refuse a file before a
// parser ever sees it.

/** The largest manifest file archy reads: 1 MiB (an app's manifest is a few KiB). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** The most aliases (`*name`) a manifest may expand: enough for any hand-written file, not for a "billion laughs". */
export const MAX_MANIFEST_ALIASES = 100;

/** The most problems reported for one file; the rest are counted in one last line. */
export const MAX_ERRORS_PER_FILE = 50;

/** A problem with a whole file, before YAML: where (1:1 unless told) and what. */
export interface TextProblem {
  line: number;
  column: number;
  message: string;
}

export const tooLarge = (bytes: number): TextProblem => ({
  line: 1,
  column: 1,
  message: `the file is ${bytes} bytes, more than the limit of ${MAX_MANIFEST_BYTES} bytes (1 MiB) for one manifest`,
});

/** Line and column (1-based) of a byte offset in UTF-8 bytes that decode up to there. */
function positionOf(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++)
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  const column = new TextDecoder().decode(bytes.subarray(lineStart, offset)).length + 1;
  return { line, column };
}

/** Offset of the first byte that is not part of valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need =
      b < 0x80
        ? 0
        : b >= 0xc2 && b < 0xe0
          ? 1
          : b >= 0xe0 && b < 0xf0
            ? 2
            : b >= 0xf0 && b < 0xf5
              ? 3
              : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * A manifest file's bytes as text, or why they are not a manifest: more than
 * `MAX_MANIFEST_BYTES`, not UTF-8, or binary (a NUL byte). A UTF-8 byte-order
 * mark is dropped (editors on Windows write one).
 */
export function manifestText(bytes: Uint8Array): { text: string } | { problem: TextProblem } {
  if (bytes.length > MAX_MANIFEST_BYTES) return { problem: tooLarge(bytes.length) };
  const nul = bytes.indexOf(0);
  if (nul >= 0)
    return {
      problem: {
        ...positionOf(bytes, nul),
        message: "expected YAML text, found a NUL byte (a binary file?)",
      },
    };
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return { text };
  } catch {
    const at = Math.max(0, firstInvalidUtf8(bytes));
    return {
      problem: {
        ...positionOf(bytes, at),
        message:
          "expected UTF-8 text, found a byte that is not (a binary file or another encoding?)",
      },
    };
  }
}
