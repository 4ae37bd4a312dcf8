// Fakes of the browser for the page's unit tests: a virtual clock with
// timers, and EventSources the test opens, feeds and breaks.
import type { EventSourceLike, Timers } from "./connection.js";

export class FakeClock implements Timers {
  now = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.now + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Moves time on, running each timer due on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.at;
      due.fn();
    }
    this.now = end;
  }

  get pending(): number {
    return this.timers.length;
  }
}

export class FakeEventSource implements EventSourceLike {
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  closed = false;
  constructor(readonly url: string) {}

  open(): void {
    this.onopen?.({} as Event);
  }

  send(data: unknown): void {
    this.onmessage?.({
      data: typeof data === "string" ? data : JSON.stringify(data),
    } as MessageEvent);
  }

  fail(): void {
    this.onerror?.({} as Event);
  }

  close(): void {
    this.closed = true;
  }
}

/** Every EventSource opened, newest last. */
export function eventSources() {
  const opened: FakeEventSource[] = [];
  return {
    opened,
    open: (url: string) => {
      const es = new FakeEventSource(url);
      opened.push(es);
      return es;
    },
    get last() {
      return opened[opened.length - 1]!;
    },
  };
}
