// `archy update --to`: the manifest says which image runs once the new one
// passed its gate. Only the text of `app.container.image` changes; comments,
// order, quoting and everything else in the file stay byte for byte.
import { isScalar, parseDocument, Scalar } from "yaml";

const PATH = ["app", "container", "image"] as const;

const parse = (source: string) => parseDocument(source, { uniqueKeys: false });

/** The image a manifest text names, or null when it names none (or is not YAML). */
export function imageIn(source: string): string | null {
  const doc = parse(source);
  if (doc.errors.length > 0) return null;
  const image = doc.getIn(PATH);
  return typeof image === "string" ? image : null;
}

/** The manifest text with `app.container.image` set to `image`, all else as it was. */
export function setImageIn(source: string, image: string): string {
  const doc = parse(source);
  const node = doc.getIn(PATH, true);
  if (isScalar(node) && node.range) {
    const [start, end] = node.range;
    const text =
      node.type === Scalar.QUOTE_DOUBLE
        ? JSON.stringify(image)
        : node.type === Scalar.QUOTE_SINGLE
          ? `'${image}'`
          : image;
    return source.slice(0, start) + text + source.slice(end);
  }
  // An alias or a block scalar: the document written again, comments kept.
  doc.setIn(PATH, image);
  return doc.toString();
}
