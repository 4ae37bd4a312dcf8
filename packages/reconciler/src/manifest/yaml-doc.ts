// One manifest's YAML: the document with its line counter, or its syntax
// problems, each at its own line and column. Linear in the file's size: the
// YAML library's own duplicate-key check compares every key of a map with
// every earlier one (a 100,000-key `env` took minutes), so it is off and
// duplicates are found here with a set per map; aliases expand at most
// MAX_MANIFEST_ALIASES times, so a "billion laughs" is refused at once.
import { isAlias, isNode, isScalar, LineCounter, parseDocument, visit, type Document } from "yaml";
import { MAX_MANIFEST_ALIASES, type TextProblem } from "./limits.js";

export interface YamlDoc {
  doc: Document;
  lc: LineCounter;
  /** The document as plain data. */
  input: unknown;
}

const at = (lc: LineCounter, offset: number) => {
  const p = lc.linePos(Math.max(0, offset));
  return { line: p.line, column: p.col };
};

/** Duplicate keys, each at the repeated key, naming where the first one is. */
function duplicateKeys(doc: Document, lc: LineCounter): TextProblem[] {
  const problems: TextProblem[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Map<unknown, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const offset = pair.key.range?.[0] ?? 0;
        const first = seen.get(pair.key.value);
        if (first === undefined) seen.set(pair.key.value, offset);
        else
          problems.push({
            ...at(lc, offset),
            message: `invalid YAML: duplicate key "${String(pair.key.value)}" (first at line ${at(lc, first).line})`,
          });
      }
    },
  });
  return problems;
}

/** Aliases to an anchor not set before them, each at the alias. */
function unresolvedAliases(doc: Document, lc: LineCounter): TextProblem[] {
  const problems: TextProblem[] = [];
  const anchors = new Set<string>();
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      if (!anchors.has(node.source))
        problems.push({
          ...at(lc, node.range?.[0] ?? 0),
          message: `invalid YAML: the alias *${node.source} names no anchor set before it`,
        });
    } else if (isNode(node) && node.anchor) anchors.add(node.anchor);
  });
  return problems;
}

/**
 * Parses a manifest's YAML. Never throws for the text: a syntax problem, a
 * duplicate key, aliases that expand too much or a document nested beyond
 * what the parser can hold come back as problems.
 */
export function readYaml(
  text: string,
  empty = 'the file is empty: expected a map with an "app:" key',
): YamlDoc | { problems: TextProblem[] } {
  const lc = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false });
  } catch (error) {
    return {
      problems: [{ line: 1, column: 1, message: `cannot parse the YAML: ${messageOf(error)}` }],
    };
  }
  // The first syntax error only: those after it mostly follow from it.
  const syntax = doc.errors[0];
  if (syntax)
    return {
      problems: [
        { ...at(lc, syntax.pos[0]), message: `invalid YAML: ${syntax.message.split("\n")[0]}` },
      ],
    };
  const duplicates = [...duplicateKeys(doc, lc), ...unresolvedAliases(doc, lc)];
  if (duplicates.length > 0)
    return { problems: duplicates.sort((x, y) => x.line - y.line || x.column - y.column) };
  if (doc.contents === null)
    return {
      problems: [{ line: 1, column: 1, message: empty }],
    };
  try {
    return { doc, lc, input: doc.toJS({ maxAliasCount: MAX_MANIFEST_ALIASES }) as unknown };
  } catch (error) {
    const message = messageOf(error);
    return {
      problems: [
        {
          line: 1,
          column: 1,
          message: /alias count/i.test(message)
            ? `YAML aliases expand too much (more than ${MAX_MANIFEST_ALIASES} uses): refused as a resource exhaustion ("billion laughs")`
            : `cannot read the YAML: ${message}`,
        },
      ],
    };
  }
}

const messageOf = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
