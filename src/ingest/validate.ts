/**
 * Validation at the edge: unknown input in, a Candle or a typed rejection out. Never throws.
 *
 * The rules (DESIGN.md "Feeds"), checked in this order; the first broken rule is the reason:
 *   bad_shape          not an object with symbol, timeframe, openTime and five numbers
 *   unknown_symbol     the feed was configured with a symbol list and this is not in it
 *   wrong_timeframe    the feed was configured for one timeframe and this is another
 *   not_finite         a price, the volume or the open time is NaN or infinite
 *   non_positive_price a price is <= 0
 *   negative_volume    volume < 0
 *   out_of_range       a price above MAX_PRICE, volume above MAX_VOLUME, or an open time before
 *                      MIN_OPEN_TIME (the usual seconds-instead-of-milliseconds mistake)
 *   low_above_body     low > min(open, close)
 *   high_below_body    max(open, close) > high
 *   misaligned_time    open time not a multiple of the timeframe
 *   future_time        the candle has not closed yet: openTime + timeframe > now + tolerance
 * Sequence rules (duplicate, out_of_order) need the series' history: see series.ts.
 */
import { z } from 'zod';
import type { Candle } from '../domain/candle.ts';
import { TIMEFRAMES, timeframeMs, type Timeframe } from '../domain/timeframe.ts';

export const REJECT_REASONS = [
  'bad_shape',
  'unknown_symbol',
  'wrong_timeframe',
  'not_finite',
  'non_positive_price',
  'negative_volume',
  'out_of_range',
  'low_above_body',
  'high_below_body',
  'misaligned_time',
  'future_time',
  'duplicate',
  'out_of_order',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Prices above this are not market data (the whole BTC supply priced in satoshis is ~2e15). */
export const MAX_PRICE = 1e12;
export const MAX_VOLUME = 1e18;
/** 2000-01-01: anything earlier is a unit mistake (epoch seconds read as milliseconds). */
export const MIN_OPEN_TIME = Date.UTC(2000, 0, 1);
/** How far a candle's close may lie ahead of our clock (exchange/host clock skew). */
export const DEFAULT_FUTURE_TOLERANCE_MS = 10_000;

export const SYMBOL_PATTERN = /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/;

export interface CandleRejection {
  ok: false;
  reason: RejectReason;
  /** What rule failed, with the values, for the log line. */
  message: string;
  /** The symbol when the input carried a readable one (for per-symbol log suppression). */
  symbol: string | undefined;
  /** The offending input as received (logged, truncated). */
  values: unknown;
}
export type CandleCheck = { ok: true; candle: Candle } | CandleRejection;

export interface ValidateOptions {
  /** Epoch ms, from the feed's Clock. */
  now: number;
  futureToleranceMs?: number;
  /** When set, only these symbols are accepted. */
  symbols?: ReadonlySet<string>;
  /** When set, only this timeframe is accepted. */
  timeframe?: Timeframe;
}

// Numbers are typed but not range-checked here: NaN and Infinity must reach the rules so they are
// rejected as not_finite rather than as bad_shape (zod 4's z.number() refuses both).
const anyNumber = z.custom<number>((v) => typeof v === 'number');

/** The shape of a candle before the rules: what a source adapter produces from a wire frame. */
export const rawCandleSchema = z.object({
  symbol: z.string().regex(SYMBOL_PATTERN),
  timeframe: z.enum(TIMEFRAMES),
  openTime: anyNumber,
  open: anyNumber,
  high: anyNumber,
  low: anyNumber,
  close: anyNumber,
  volume: anyNumber,
});
export type RawCandle = z.infer<typeof rawCandleSchema>;

function reject(reason: RejectReason, message: string, symbol: string | undefined, values: unknown): CandleRejection {
  return { ok: false, reason, message, symbol, values };
}

function readableSymbol(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const s = (input as { symbol?: unknown }).symbol;
  return typeof s === 'string' && SYMBOL_PATTERN.test(s) ? s : undefined;
}

export function validateCandle(input: unknown, opts: ValidateOptions): CandleCheck {
  const parsed = rawCandleSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'candle';
    return reject('bad_shape', `${where}: ${issue?.message ?? 'invalid'}`, readableSymbol(input), input);
  }
  return checkRules(parsed.data, opts);
}

/** The rules over an already well-typed candle; sources that build candles themselves call this. */
export function checkRules(c: RawCandle, opts: ValidateOptions): CandleCheck {
  const { symbol, timeframe, openTime, open, high, low, close, volume } = c;
  if (opts.symbols && !opts.symbols.has(symbol)) return reject('unknown_symbol', `symbol ${symbol} is not subscribed`, undefined, c);
  if (opts.timeframe && timeframe !== opts.timeframe) {
    return reject('wrong_timeframe', `timeframe ${timeframe}, expected ${opts.timeframe}`, symbol, c);
  }
  for (const [name, v] of [['open', open], ['high', high], ['low', low], ['close', close], ['volume', volume], ['openTime', openTime]] as const) {
    if (!Number.isFinite(v)) return reject('not_finite', `${name} is ${v}`, symbol, c);
  }
  for (const [name, v] of [['open', open], ['high', high], ['low', low], ['close', close]] as const) {
    if (v <= 0) return reject('non_positive_price', `${name} ${v} is not positive`, symbol, c);
  }
  if (volume < 0) return reject('negative_volume', `volume ${volume} is negative`, symbol, c);
  for (const [name, v] of [['open', open], ['high', high], ['low', low], ['close', close]] as const) {
    if (v > MAX_PRICE) return reject('out_of_range', `${name} ${v} exceeds ${MAX_PRICE}`, symbol, c);
  }
  if (volume > MAX_VOLUME) return reject('out_of_range', `volume ${volume} exceeds ${MAX_VOLUME}`, symbol, c);
  if (openTime < MIN_OPEN_TIME) {
    return reject('out_of_range', `openTime ${openTime} is before 2000-01-01 (seconds instead of milliseconds?)`, symbol, c);
  }
  if (low > Math.min(open, close)) return reject('low_above_body', `low ${low} > min(open ${open}, close ${close})`, symbol, c);
  if (Math.max(open, close) > high) return reject('high_below_body', `high ${high} < max(open ${open}, close ${close})`, symbol, c);
  const tf = timeframeMs(timeframe);
  if (!Number.isSafeInteger(openTime) || openTime % tf !== 0) {
    return reject('misaligned_time', `openTime ${openTime} is not a multiple of ${timeframe}`, symbol, c);
  }
  const tolerance = opts.futureToleranceMs ?? DEFAULT_FUTURE_TOLERANCE_MS;
  if (openTime + tf > opts.now + tolerance) {
    return reject('future_time', `candle ${new Date(openTime).toISOString()} ${timeframe} closes after now (${new Date(opts.now).toISOString()})`, symbol, c);
  }
  return { ok: true, candle: { symbol, timeframe, openTime, open, high, low, close, volume } };
}
