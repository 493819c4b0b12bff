/**
 * What every fake REST venue shares (fake-oanda.ts, fake-ccxt-binance.ts): a virtual clock that moves
 * only when the test calls advance(), the feed's wait for the next candle close driven by it, and
 * the faults: fail the next requests, hide a candle from the next answers.
 */
import type { Clock } from '../../src/domain/clock.ts';

export class VirtualVenue {
  readonly clock: Clock;
  protected now: number;
  private readonly waiters: { at: number; resolve: () => void }[] = [];
  private readonly idle: (() => void)[] = [];
  private readonly failures: { status: number; retryAfter?: string }[] = [];
  private readonly hidden = new Map<string, number>();

  constructor(start: number) {
    this.now = start;
    this.clock = { now: () => this.now, sleepUntil: (at, signal) => this.waitUntil(at, signal) };
  }

  /** Moves the virtual clock and releases the feed's waits that are due. */
  advance(ms: number): void {
    this.now += ms;
    for (const w of this.waiters.splice(0)) {
      if (w.at <= this.now) w.resolve();
      else this.waiters.push(w);
    }
  }

  /** The feed's wait for the next close (PolledSourceOptions.waitUntil). */
  waitUntil = (at: number, signal: AbortSignal): Promise<void> => {
    if (at <= this.now || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push({ at, resolve: done });
      signal.addEventListener('abort', done, { once: true });
      for (const r of this.idle.splice(0)) r();
    });
  };

  /** True while the feed waits for the clock: it has taken everything it could. */
  get feedWaiting(): boolean {
    return this.waiters.length > 0;
  }

  /** Resolves true once the feed waits for the clock again, false after `ms` of real time. */
  untilFeedWaits(ms = 10_000): Promise<boolean> {
    if (this.waiters.length > 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** The next `n` requests fail with `status` (429 carries Retry-After when given). */
  failNext(n: number, status = 429, retryAfter?: string): void {
    for (let i = 0; i < n; i++) this.failures.push({ status, retryAfter });
  }

  /** Failures set with failNext that no request has met yet. */
  get failuresLeft(): number {
    return this.failures.length;
  }

  protected takeFailure(): { status: number; retryAfter?: string } | undefined {
    return this.failures.shift();
  }

  /** Leaves a candle of a series out of the next `times` answers that would contain it. */
  hide(series: string, openTime: number, times = 1): void {
    this.hidden.set(`${series}|${openTime}`, times);
  }

  protected isHidden(series: string, openTime: number): boolean {
    const key = `${series}|${openTime}`;
    const n = this.hidden.get(key);
    if (!n) return false;
    if (n <= 1) this.hidden.delete(key);
    else this.hidden.set(key, n - 1);
    return true;
  }
}
