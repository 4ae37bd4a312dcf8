/** The key of the brand every archy error carries, whichever package and copy built it. */
const BRAND = "archy.error";

type Marked = Record<symbol, unknown>;

/** The marker a class declares itself (its static field), not one inherited from its parent. */
const ownMarker = (cls: object): string | undefined => {
  const value: unknown = Object.getOwnPropertyDescriptor(cls, "marker")?.value;
  return typeof value === "string" ? value : undefined;
};

/**
 * What `isInstance` needs of the class it is called on: its marker, and its
 * instances' type (`prototype`) to narrow to. A union of classes is one too,
 * narrowing to the union of their instances.
 */
interface MarkedClass {
  readonly prototype: unknown;
  readonly marker: string;
  readonly name: string;
}

/**
 * The base of every archy error. It carries a `code` a caller can switch on,
 * an optional `cause`, and, instead of relying on `instanceof`, a marker per
 * class: an own property keyed by `Symbol.for(marker)`. `Symbol.for` returns
 * the same symbol in every module that asks, so `X.isInstance(e)` recognises
 * an X built by any installed copy of X's package (two versions in one
 * `node_modules`, or a bundled copy beside an installed one), where
 * `instanceof` only knows its own copy of the class.
 *
 * A subclass declares its marker once, as a static field:
 *
 *     class HookError extends ReconcilerError {
 *       static override readonly marker = "archy.reconciler.error.HookError";
 *     }
 *
 * and the constructor sets the marker of every class from the one built up
 * to this base, whose marker (`Symbol.for("archy.error")`) is the brand every
 * archy error shares. So `HookError.isInstance(e)` accepts a HookError only,
 * `ReconcilerError.isInstance(e)` any error of the reconciler, and
 * `ArchyError.isInstance(e)` any archy error at all.
 */
export class ArchyError<Code extends string = string> extends Error {
  /**
   * The `Symbol.for` key of this class's marker; each subclass declares its
   * own, conventionally `archy.<package>.error.<Class>`.
   */
  static readonly marker: string = BRAND;

  override readonly name: string = "ArchyError";
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    // A cause only when there is one: no `cause: undefined` on the error.
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    // Walk from the class built up to this one; a class that declares no
    // marker of its own adds none (it is recognised as its parent).
    for (
      let c: unknown = new.target;
      typeof c === "function" && c !== Error;
      c = Object.getPrototypeOf(c)
    ) {
      const marker = ownMarker(c);
      if (marker !== undefined) (this as unknown as Marked)[Symbol.for(marker)] = true;
    }
  }

  /**
   * Whether `error` carries this class's marker: an instance of this class or
   * of a subclass, from any installed copy. Throws a TypeError when called on
   * a subclass that declares no marker, which would otherwise silently accept
   * every error of its parent.
   */
  static isInstance<C extends MarkedClass>(this: C, error: unknown): error is C["prototype"] {
    const marker = ownMarker(this);
    if (marker === undefined)
      throw new TypeError(
        `${this.name} declares no static marker of its own, so ${this.name}.isInstance cannot tell its errors apart`,
      );
    return (
      typeof error === "object" && error !== null && (error as Marked)[Symbol.for(marker)] === true
    );
  }
}
