/**
 * Counting and logging of rejected candles. Every rejection is counted in
 * `candles_rejected_total{reason}`; the log gets one line per (reason, symbol) per window with the
 * offending values, and the number of repeats suppressed since the previous line, so a flood of bad
 * frames costs a counter increment each, not a log line each.
 */
import { systemClock, type Clock } from '../domain/clock.ts';
import type { Logger } from '../log.ts';
import { candlesRejected } from './metrics.ts';
import type { CandleRejection, RejectReason } from './validate.ts';

export interface RejectionReporterOptions {
  /** One log line per (reason, symbol) per window. Default 5 minutes. */
  windowMs?: number;
  /** Bound on tracked (reason, symbol) keys; beyond it symbols share one key per reason. */
  maxKeys?: number;
  clock?: Clock;
}

interface KeyState {
  lastLoggedAt: number;
  suppressed: number;
}

const PREVIEW_CHARS = 300;

/** A log-safe rendering of arbitrary input: bounded length, NaN and Infinity spelled out. */
export function previewValue(v: unknown): string {
  let s: string;
  try {
    s =
      typeof v === 'string'
        ? v
        : (JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : typeof x === 'bigint' ? `${x}n` : x)) ??
          String(v));
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > PREVIEW_CHARS ? `${s.slice(0, PREVIEW_CHARS)}... (${s.length} chars)` : s;
}

export class RejectionReporter {
  private readonly keys = new Map<string, KeyState>();
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly clock: Clock;

  constructor(
    private readonly log: Logger,
    opts: RejectionReporterOptions = {},
  ) {
    this.windowMs = opts.windowMs ?? 5 * 60_000;
    this.maxKeys = opts.maxKeys ?? 1_000;
    this.clock = opts.clock ?? systemClock;
  }

  report(r: CandleRejection): void {
    this.count(r.reason, r.symbol, r.message, r.values);
  }

  /** For rejections that are not a CandleRejection (e.g. an unparseable frame). */
  count(reason: RejectReason, symbol: string | undefined, message: string, values: unknown): void {
    candlesRejected.inc({ reason });
    let key = `${reason}|${symbol ?? '?'}`;
    if (!this.keys.has(key) && this.keys.size >= this.maxKeys) key = `${reason}|*`;
    const now = this.clock.now();
    const state = this.keys.get(key);
    if (state && now - state.lastLoggedAt < this.windowMs) {
      state.suppressed += 1;
      return;
    }
    const suppressed = state?.suppressed ?? 0;
    this.keys.set(key, { lastLoggedAt: now, suppressed: 0 });
    this.log.warn(
      { reason, symbol, values: previewValue(values), suppressedSinceLast: suppressed },
      `candle rejected (${reason}): ${message}; further ${reason} rejections for ${symbol ?? 'this input'} are counted, not logged, for ${Math.round(this.windowMs / 1000)}s`,
    );
  }

  /** Logs the repeats suppressed since each key's last line (call at stop). */
  flush(): void {
    for (const [key, state] of this.keys) {
      if (state.suppressed === 0) continue;
      const [reason, symbol] = key.split('|');
      this.log.warn({ reason, symbol, suppressed: state.suppressed }, `${state.suppressed} more ${reason} rejections for ${symbol} were not logged`);
      state.suppressed = 0;
    }
  }
}
