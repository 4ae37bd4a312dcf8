// The compose file's YAML, kept as a document so that every key and value
// can be named by `file:line:column`: parsing, locating a path (through
// aliases and `<<` merge keys), and the located warnings and errors.
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
} from "yaml";
import { ConvertError, type SourceLocation } from "../errors.js";

/** A path into the compose data: map keys and list indexes. */
export type ComposePath = readonly (string | number)[];

/** One message at one place of an input file. */
export type Located = SourceLocation & { message: string };

export interface ComposeSource {
  file: string;
  doc: Document;
  lc: LineCounter;
}

/** Aliases expand at most this often: a "billion laughs" file is refused. */
const MAX_ALIASES = 10_000;

/** `services.web.ports[1]`: the dotted form of a path. */
export function formatComposePath(path: ComposePath): string {
  let out = "";
  for (const step of path)
    out +=
      typeof step === "number"
        ? `[${step}]`
        : /^[A-Za-z0-9_-]+$/.test(step)
          ? `${out ? "." : ""}${step}`
          : `[${JSON.stringify(step)}]`;
  return out;
}

/** Parses the compose text; invalid YAML is an ECOMPOSE error at each problem. */
export function parseComposeYaml(file: string, text: string): ComposeSource {
  const lc = new LineCounter();
  const doc = parseDocument(text.startsWith("\uFEFF") ? text.slice(1) : text, {
    lineCounter: lc,
    merge: true,
    prettyErrors: false,
  });
  const problems: Located[] = doc.errors.map((e) => {
    const p = lc.linePos(e.pos[0]);
    return {
      file,
      line: p.line,
      column: p.col,
      path: "",
      message: `invalid YAML: ${e.message.split("\n")[0]}`,
    };
  });
  if (problems.length === 0 && !isMap(doc.contents))
    problems.push({
      file,
      line: 1,
      column: 1,
      path: "",
      message: 'expected a map with a "services:" key',
    });
  if (problems.length > 0) throw composeError(file, problems);
  return { file, doc, lc };
}

/** The document as plain data, `<<` merges applied. */
export function composeData(src: ComposeSource): Record<string, unknown> {
  try {
    return src.doc.toJS({ maxAliasCount: MAX_ALIASES }) as Record<string, unknown>;
  } catch (error) {
    throw composeError(src.file, [
      {
        file: src.file,
        line: 1,
        column: 1,
        path: "",
        message: `cannot read the YAML: ${(error as Error).message.split("\n")[0]}`,
      },
    ]);
  }
}

const deref = (src: ComposeSource, node: unknown): unknown =>
  isAlias(node) ? node.resolve(src.doc) : node;

/** The pair of `map` whose key is `key`, looking into `<<` merges (nearest first). */
function findPair(
  src: ComposeSource,
  map: unknown,
  key: string,
  depth = 0,
): { key: Node; value: unknown } | undefined {
  const m = deref(src, map);
  if (!isMap(m) || depth > 20) return undefined;
  for (const pair of m.items)
    if (isScalar(pair.key) && String(pair.key.value) === key && typeof pair.key.value !== "symbol")
      return { key: pair.key, value: pair.value };
  for (const pair of m.items) {
    if (!isScalar(pair.key) || typeof pair.key.value !== "symbol") continue;
    const sources = deref(src, pair.value);
    for (const s of isSeq(sources) ? sources.items : [sources]) {
      const found = findPair(src, s, key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

const startOf = (node: unknown): number | undefined =>
  (node as { range?: [number, number, number] } | null)?.range?.[0];

/**
 * Where `path` is: the key itself with `at: "key"` (the default for a path
 * ending in a map key), else its value. A path that is not in the file
 * points at the nearest part of it that is.
 */
export function locateIn(
  src: ComposeSource,
  path: ComposePath,
  at: "key" | "value" = typeof path.at(-1) === "string" ? "key" : "value",
): { line: number; column: number } {
  let node: unknown = src.doc.contents;
  let offset = startOf(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    const here = deref(src, node);
    if (typeof step === "number") {
      if (!isSeq(here) || step >= here.items.length) break;
      node = here.items[step];
      offset = startOf(deref(src, node)) ?? startOf(node) ?? offset;
    } else {
      const pair = findPair(src, here, step);
      if (!pair) break;
      const last = i === path.length - 1;
      node = pair.value;
      offset =
        last && at === "key"
          ? (startOf(pair.key) ?? offset)
          : (startOf(node) ?? startOf(pair.key) ?? offset);
    }
  }
  const p = src.lc.linePos(offset);
  return { line: p.line, column: p.col };
}

/** A located message at `path` of the compose file. */
export function locatedAt(
  src: ComposeSource,
  path: ComposePath,
  message: string,
  at?: "key" | "value",
): Located {
  return { file: src.file, ...locateIn(src, path, at), path: formatComposePath(path), message };
}

/** `file:line:column: path: message` lines under one heading. */
export function composeError(
  file: string,
  locations: Located[],
  code: "ECOMPOSE" | "EINTERPOLATE" | "EUNSUPPORTED" = "ECOMPOSE",
): ConvertError {
  const sorted = [...locations].sort(
    (a, b) =>
      (a.file === b.file ? 0 : a.file < b.file ? -1 : 1) || a.line - b.line || a.column - b.column,
  );
  const heading =
    code === "ECOMPOSE"
      ? `${file} is not a valid compose file`
      : code === "EINTERPOLATE"
        ? `${file}: a variable is not set`
        : `${file} asks for something archy cannot do`;
  const lines = sorted.map(
    (l) => `  ${l.file}:${l.line}:${l.column}: ${l.path ? `${l.path}: ` : ""}${l.message}`,
  );
  return new ConvertError(code, `${heading}:\n${lines.join("\n")}`, { locations: sorted });
}
