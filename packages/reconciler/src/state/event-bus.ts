import { errorText } from "../errors.js";
import type { Logger, ReconcilerEvent } from "../types.js";

/** Delivers every state change to its subscribers; a throwing subscriber is logged, never fatal. */
export class EventBus {
  private readonly listeners = new Set<(e: ReconcilerEvent) => void>();

  constructor(private readonly log: Logger) {}

  subscribe(listener: (e: ReconcilerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(e: ReconcilerEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (error) {
        this.log.error({ err: errorText(error) }, "an event listener threw");
      }
    }
  }
}
