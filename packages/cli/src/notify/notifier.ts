// The daemon's notifications: the reconciler's events become problems that
// open and resolve (alerts.ts), each message goes to every target through
// the durable outbox (outbox.ts), and each target has a worker of its own
// that delivers in order, one at a time, at most `ratePerMinute`, retrying a
// failure with a doubling delay (2 s to 10 min) for a day. A slow or failing
// target holds up only itself: nothing here is awaited by a pass or the API.
import type { ReconcilerEvent } from "@archy/reconciler/api";
import type { Clock } from "@archy/runtime-podman";
import { Alerts, type Notice, type Problem } from "./alerts.js";
import type { NotifyConfig, Target } from "./config.js";
import { deliver as deliverNow, type Delivery } from "./deliver.js";
import { Outbox, type Pending } from "./outbox.js";

export interface NotifierOptions {
  config: NotifyConfig;
  stateDir: string;
  clock: Clock;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** The delivery itself (tests pass their own). */
  deliver?: (target: Target, notice: Notice, timeoutMs: number) => Promise<Delivery>;
  /** After each attempt (the daemon's metrics count them). */
  onAttempt?: (target: string, ok: boolean) => void;
}

const MIN_RETRY_MS = 2_000;
const MAX_RETRY_MS = 10 * 60_000;
/** A message still undelivered a day after its problem changed is given up on. */
const GIVE_UP_MS = 24 * 3_600_000;

export class Notifier {
  private readonly alerts: Alerts;
  private readonly outbox: Outbox;
  private readonly workers = new Map<string, { busy: boolean; timer: unknown; sent: number[] }>();
  private queueing: Promise<void> = Promise.resolve();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly opts: NotifierOptions) {
    this.alerts = new Alerts(opts.clock, opts.config.settleMs, (n) => this.send(n));
    this.outbox = new Outbox(opts.stateDir);
    for (const t of opts.config.targets)
      this.workers.set(t.name, { busy: false, timer: null, sent: [] });
  }

  /** Drops what is pending for targets no longer configured, then delivers what is left. */
  async start(): Promise<void> {
    this.alerts.restore(await this.outbox.openProblems());
    await this.outbox.keepTargets([...this.workers.keys()]);
    for (const name of this.workers.keys()) this.kick(name);
  }

  /** The reconciler's events from now on. */
  onEvent = (e: ReconcilerEvent): void => this.alerts.onEvent(e);

  /** The filesystems low on space now (see Alerts.onDisk). */
  disk(low: { path: string; summary: string }[]): void {
    this.alerts.onDisk(low);
  }

  /** A note of the daemon's own (a recovery's summary). */
  note(key: string, problem: Problem, summary: string): void {
    this.alerts.note(key, null, problem, summary);
  }

  /** Problems open now. */
  openProblems(): Notice[] {
    return this.alerts.openNow();
  }

  /**
   * Workers stop after the attempt they are making (its outcome is written);
   * what is pending stays for the next daemon.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.alerts.close();
    for (const w of this.workers.values())
      if (w.timer !== null) this.opts.clock.clearTimeout(w.timer);
    await this.queueing;
    await Promise.all(this.running);
  }

  /** Written durably for every target, in the order the problems changed; then delivered. */
  private send(notice: Notice): void {
    const at = this.opts.clock.now();
    const entries: Pending[] = [...this.workers.keys()].map((target) => ({
      target,
      notice,
      attempts: 0,
      nextAt: at,
      lastError: null,
    }));
    const open = this.alerts.openNow();
    this.queueing = this.queueing
      .then(async () => {
        await this.outbox.setOpen(open);
        const dropped = await this.outbox.add(entries);
        for (const d of dropped)
          this.opts.log.warn(
            { target: d.target, id: d.notice.id },
            `notify: ${d.target} has too many undelivered messages; the oldest is dropped`,
          );
        for (const name of this.workers.keys()) this.kick(name);
      })
      .catch((error: unknown) =>
        this.opts.log.warn({ err: String(error) }, "notify: the outbox could not be written"),
      );
  }

  /** Runs the target's worker unless it runs. */
  private kick(name: string): void {
    const w = this.workers.get(name)!;
    if (w.busy || this.closed) return;
    if (w.timer !== null) {
      this.opts.clock.clearTimeout(w.timer);
      w.timer = null;
    }
    w.busy = true;
    const run = this.work(name)
      .catch((error: unknown) =>
        this.opts.log.warn({ target: name, err: String(error) }, "notify: a worker failed"),
      )
      .finally(() => {
        w.busy = false;
        this.running.delete(run);
      });
    this.running.add(run);
  }

  private wakeAt(name: string, at: number): void {
    const w = this.workers.get(name)!;
    w.timer = this.opts.clock.setTimeout(
      () => {
        w.timer = null;
        this.kick(name);
      },
      Math.max(0, at - this.opts.clock.now()),
    );
  }

  private async work(name: string): Promise<void> {
    const { clock, config, log } = this.opts;
    const target = config.targets.find((t) => t.name === name)!;
    const w = this.workers.get(name)!;
    while (!this.closed) {
      const mine = (await this.outbox.all()).filter((p) => p.target === name);
      // In the order they were written: a resolution never overtakes its open, even one retried later.
      const next = mine[0];
      if (!next) return;
      const now = clock.now();
      if (now - Date.parse(next.notice.at) > GIVE_UP_MS) {
        log.warn(
          { target: name, id: next.notice.id, error: next.lastError },
          `notify: ${name} did not take a message for a day; it is given up`,
        );
        await this.outbox.remove(next);
        continue;
      }
      if (next.nextAt > now) return this.wakeAt(name, next.nextAt);
      w.sent = w.sent.filter((t) => t > now - 60_000);
      if (w.sent.length >= config.ratePerMinute) return this.wakeAt(name, w.sent[0]! + 60_000);
      w.sent.push(now);
      const result = await (this.opts.deliver ?? deliverNow)(target, next.notice, config.timeoutMs);
      this.opts.onAttempt?.(name, result.ok);
      if (result.ok) {
        await this.outbox.remove(next);
        log.info(
          { target: name, id: next.notice.id, answer: result.answer },
          `notify: ${next.notice.key} (${next.notice.state}) to ${name}`,
        );
      } else {
        const delay = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** next.attempts);
        await this.outbox.failed(next, result.answer, clock.now() + delay);
        log.warn(
          { target: name, id: next.notice.id, answer: result.answer, retryInMs: delay },
          `notify: ${name} did not take ${next.notice.key}: ${result.answer}`,
        );
      }
    }
  }
}
