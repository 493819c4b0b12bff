/**
 * The synthetic feed: seeded geometric Brownian motion with regime switches, for demos, benches and
 * drift tests. Each symbol has its own random stream derived from (seed, symbol index), so the same
 * parameters always give the same candles, and adding symbols does not change the existing ones.
 *
 * Per candle: a volatility regime (calm 0.5x, normal 1x, turbulent 2x `vol`) and a trend regime
 * (down, flat, up: drift of -0.1, 0, +0.1 sigma per candle) each follow a Markov chain that stays
 * put with probability 0.99 / 0.995. log(close/open) ~ N(mu - sigma^2/2, sigma^2); open is the previous
 * close; wicks and volume are drawn around the body. A forced shift (shiftAt) multiplies sigma by
 * shiftVol and adds shiftDrift sigma of drift from that candle index on, for drift detection tests.
 */
import type { Candle } from '../domain/candle.ts';
import { timeframeMs, type Timeframe } from '../domain/timeframe.ts';
import { sleep, yieldToEventLoop } from '../domain/timing.ts';
import { rootLogger, type Logger } from '../log.ts';
import { candlesDelivered } from './metrics.ts';
import { hash32, mulberry32, normals } from './prng.ts';
import { BaseSource, type CandleSink } from './source.ts';
import { checkRules } from './validate.ts';

export interface SyntheticParams {
  seed: number;
  /** Number of symbols, named SYN0/USD, SYN1/USD, ... */
  symbols: number;
  timeframe: Timeframe;
  /** Per-candle standard deviation of log returns in the normal regime. */
  vol: number;
  /** Candles per symbol. */
  candles: number;
  /** Open time of the first candle (epoch ms, aligned to the timeframe). */
  start: number;
  /** From this candle index on, sigma is multiplied by shiftVol and shiftDrift sigma is added to the drift. */
  shiftAt?: number;
  shiftVol?: number;
  shiftDrift?: number;
}

export const SYNTHETIC_DEFAULTS: SyntheticParams = {
  seed: 42,
  symbols: 3,
  timeframe: '5m',
  vol: 0.002,
  candles: 2_000,
  start: Date.UTC(2024, 0, 1),
};

const VOL_REGIMES = [0.5, 1, 2] as const;
const TREND_REGIMES = [-0.1, 0, 0.1] as const;
const VOL_STAY = 0.99;
const TREND_STAY = 0.995;

export function syntheticSymbol(index: number): string {
  return `SYN${index}/USD`;
}

/** One symbol's candle stream. */
function* symbolStream(p: SyntheticParams, index: number): Generator<Candle> {
  const uniform = mulberry32(hash32(`synthetic:${p.seed}:${index}`));
  const normal = normals(uniform);
  const symbol = syntheticSymbol(index);
  const tf = timeframeMs(p.timeframe);
  let price = 10 ** (uniform() * 4 - 1); // 0.1 .. 1000
  const baseVolume = 1_000 * 10 ** (uniform() * 2);
  let volRegime = 1;
  let trendRegime = 1;
  for (let i = 0; i < p.candles; i++) {
    if (uniform() > VOL_STAY) volRegime = (volRegime + 1 + Math.floor(uniform() * 2)) % 3;
    if (uniform() > TREND_STAY) trendRegime = (trendRegime + 1 + Math.floor(uniform() * 2)) % 3;
    const shifted = p.shiftAt !== undefined && i >= p.shiftAt;
    const sigma = p.vol * VOL_REGIMES[volRegime]! * (shifted ? (p.shiftVol ?? 3) : 1);
    const mu = sigma * (TREND_REGIMES[trendRegime]! + (shifted ? (p.shiftDrift ?? 0) : 0));
    const open = price;
    const close = open * Math.exp(mu - (sigma * sigma) / 2 + sigma * normal());
    const high = Math.max(open, close) * Math.exp(0.5 * sigma * Math.abs(normal()));
    const low = Math.min(open, close) * Math.exp(-0.5 * sigma * Math.abs(normal()));
    const volume = baseVolume * Math.exp(0.3 * normal()) * (1 + Math.abs(Math.log(close / open)) / sigma);
    price = close;
    yield { symbol, timeframe: p.timeframe, openTime: p.start + i * tf, open, high, low, close, volume };
  }
}

/** The candles of every symbol, one tick (array ordered by symbol index) per step. */
export function* syntheticTicks(p: SyntheticParams): Generator<Candle[]> {
  const streams = Array.from({ length: p.symbols }, (_, i) => symbolStream(p, i));
  for (let i = 0; i < p.candles; i++) {
    yield streams.map((s) => s.next().value as Candle);
  }
}

/** All candles of each symbol (for tests, training and benches). */
export function syntheticSeries(p: SyntheticParams): Candle[][] {
  return Array.from({ length: p.symbols }, (_, i) => [...symbolStream(p, i)]);
}

export interface SyntheticOptions {
  /** 0 (default): as fast as possible; N: one candle every timeframe / N. */
  speed?: number;
  log?: Logger;
}

export class SyntheticSource extends BaseSource {
  readonly kind = 'synthetic' as const;
  private readonly speed: number;

  constructor(
    readonly params: SyntheticParams,
    opts: SyntheticOptions = {},
  ) {
    super(
      (opts.log ?? rootLogger()).child({ module: 'synthetic' }),
      Array.from({ length: params.symbols }, (_, i) => ({ symbol: syntheticSymbol(i), timeframe: params.timeframe })),
    );
    this.speed = opts.speed ?? 0;
  }

  protected async run(sink: CandleSink, signal: AbortSignal): Promise<void> {
    this.setStatus('streaming');
    const tf = timeframeMs(this.timeframe);
    let lastYield = Date.now();
    for (const candles of syntheticTicks(this.params)) {
      if (signal.aborted) return;
      if (this.speed > 0) {
        await sleep(tf / this.speed, signal);
      } else if (Date.now() - lastYield >= 10) {
        await yieldToEventLoop();
        lastYield = Date.now();
      }
      if (signal.aborted) return;
      for (const c of candles) {
        // The generator's invariant; synthetic times are fictitious, so there is no "future".
        const check = checkRules(c, { now: Number.MAX_SAFE_INTEGER, futureToleranceMs: 0 });
        if (!check.ok) throw new Error(`synthetic generator produced an invalid candle (${check.reason}: ${check.message})`);
      }
      await sink({ closeTime: candles[0]!.openTime + tf, candles, backfill: false });
      candlesDelivered.inc({ source: 'synthetic' }, candles.length);
    }
  }
}
