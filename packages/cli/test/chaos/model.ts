// What the owner was told: every intent the CLI acknowledged (exit 0, or the
// transitional phase printed before the daemon went away) must be the
// daemon's desired state; an intent it did not acknowledge may or may not
// have been persisted, so both values are possible until the next check.

/** An app's desired state as the owner sees it; "absent": no manifest (removed, or never installed). */
export type Intent = "running" | "stopped" | "absent";

export class IntentModel {
  private readonly possible = new Map<string, Set<Intent>>();

  constructor(initial: Record<string, Intent>) {
    for (const [id, v] of Object.entries(initial)) this.possible.set(id, new Set([v]));
  }

  ids(): string[] {
    return [...this.possible.keys()];
  }

  /** The CLI acknowledged it: nothing else is allowed now. */
  acknowledged(id: string, intent: Intent): void {
    this.possible.set(id, new Set([intent]));
  }

  /** Asked for but not acknowledged (the daemon died first): either value may hold. */
  unacknowledged(id: string, intent: Intent): void {
    this.possibleOf(id).add(intent);
  }

  possibleOf(id: string): Set<Intent> {
    let set = this.possible.get(id);
    if (!set) this.possible.set(id, (set = new Set(["absent"])));
    return set;
  }

  /** The one value the owner can count on; null while an unacknowledged intent leaves two. */
  certain(id: string): Intent | null {
    const set = this.possibleOf(id);
    return set.size === 1 ? [...set][0]! : null;
  }

  /** After a check found `actual` among the possible values, it is what holds. */
  settle(id: string, actual: Intent): void {
    this.possible.set(id, new Set([actual]));
  }

  describe(): string {
    return this.ids()
      .map((id) => `${id}=${[...this.possibleOf(id)].join("|")}`)
      .join(" ");
  }
}
