/**
 * Bench, `indicators` part (DESIGN.md "Bench"): all 17 indicators for one symbol over a real file.
 *
 * - incremental: IndicatorSet.update per closed candle (the live path, snapshot object included),
 *   whole-file passes over LTC_BTC-5m.json after warm-up passes; median pass, per candle.
 * - window_recompute: what a request-time indicator service does on each new candle: recompute all
 *   17 over the trailing 200 candles with technicalindicators' `calculate` functions (plus direct
 *   loops for price change and volatility; VWAP over the window's part of the current UTC session)
 *   and keep the last values. Timed in chunks of candles; median chunk, per candle.
 * - speedup = window_recompute / incremental: how much cheaper the incremental set is than
 *   recomputing a 200-candle window with technicalindicators on every candle. That is a request-time
 *   service's cost, not a serious streaming peer's; the peers are below.
 * - set_ns_per_candle / peer_ns_per_candle / per_indicator_ns: the 12 indicators signalbase,
 *   @debut/indicators and trading-signals all have, each library streaming them over the same file
 *   in this run (indicator-peers.ts); `slower_than_fastest_peer` lists any indicator where
 *   signalbase is not ahead.
 *
 * Runnable alone: `node --import tsx scripts/bench/indicators.ts` prints the JSON object.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ADX, ATR, BollingerBands, EMA, MACD, MFI, RSI, SMA, Stochastic, VWAP } from 'technicalindicators';
import { IndicatorSet } from '../../src/features/indicator-set.ts';
import type { Bar } from '../../src/features/indicators/indicator.ts';
import { benchPeers, PEERS, type PeerBench } from './indicator-peers.ts';

export interface IndicatorsBench {
  incremental_us_per_candle: number;
  window_recompute_us_per_candle: number;
  speedup: number;
  set_ns_per_candle: number;
  peer_ns_per_candle: Record<(typeof PEERS)[number], number>;
  per_indicator_ns: PeerBench['per_indicator'];
  slower_than_fastest_peer: PeerBench['slower_than_fastest_peer'];
}

export interface IndicatorsBenchOptions {
  /** Candle file (freqtrade JSON). Default the bundled data/sample/LTC_BTC-5m.json (real Binance candles). */
  file?: string;
  /** Timed whole-file passes of the incremental path (after 3 untimed ones). Default 9. */
  passes?: number;
  /** Trailing window the baseline recomputes over. Default 200. */
  window?: number;
  /** Baseline chunks and candles per chunk (after one untimed chunk). Default 6 × 200. */
  chunks?: number;
  chunkSize?: number;
}

const DEFAULT_FILE = fileURLToPath(new URL('../../data/sample/LTC_BTC-5m.json', import.meta.url));
const DAY_MS = 86_400_000;

function loadBars(file: string): Bar[] {
  const rows = JSON.parse(readFileSync(file, 'utf8')) as number[][];
  return rows.map(([openTime, open, high, low, close, volume]) => ({
    openTime: openTime!, open: open!, high: high!, low: low!, close: close!, volume: volume!,
  }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];

/** Defeats dead-code elimination: every measured result feeds this. */
let sink = 0;

/** All 17 from scratch over `w` (oldest first), as a request-time service would. */
function recomputeAll(w: readonly Bar[]): void {
  const high = w.map((b) => b.high);
  const low = w.map((b) => b.low);
  const close = w.map((b) => b.close);
  const volume = w.map((b) => b.volume);
  const adx = last(ADX.calculate({ high, low, close, period: 14 }));
  const rsi = last(RSI.calculate({ values: close, period: 14 }));
  const e12 = last(EMA.calculate({ values: close, period: 12 }));
  const e21 = last(EMA.calculate({ values: close, period: 21 }));
  const e50 = last(EMA.calculate({ values: close, period: 50 }));
  const day = Math.floor(w[w.length - 1]!.openTime / DAY_MS);
  let s = w.length - 1;
  while (s > 0 && Math.floor(w[s - 1]!.openTime / DAY_MS) === day) s--;
  const vwap = last(VWAP.calculate({ high: high.slice(s), low: low.slice(s), close: close.slice(s), volume: volume.slice(s) }));
  const atr = last(ATR.calculate({ high, low, close, period: 14 }));
  const bb = last(BollingerBands.calculate({ values: close, period: 20, stdDev: 2 }));
  const st = last(Stochastic.calculate({ high, low, close, period: 14, signalPeriod: 3 }));
  const macd = last(MACD.calculate({ values: close, fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false }));
  const vma = last(SMA.calculate({ values: volume, period: 20 }));
  const n = close.length;
  const change = 100 * (close[n - 1]! / close[n - 2]! - 1);
  const r: number[] = [];
  for (let i = n - 20; i < n; i++) r.push(Math.log(close[i]! / close[i - 1]!));
  const mean = r.reduce((a, x) => a + x, 0) / r.length;
  const vol = Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / r.length);
  const mfi = last(MFI.calculate({ high, low, close, volume, period: 14 }));
  sink += (adx?.adx ?? 0) + (rsi ?? 0) + (e12 ?? 0) + (e21 ?? 0) + (e50 ?? 0) + (vwap ?? 0) + (atr ?? 0) + (bb?.upper ?? 0) +
    (bb?.lower ?? 0) + (st?.k ?? 0) + (st?.d ?? 0) + (macd?.MACD ?? 0) + (macd?.signal ?? 0) + (vma ?? 0) + change + vol + (mfi ?? 0);
}

export async function benchIndicators(opts: IndicatorsBenchOptions = {}): Promise<IndicatorsBench> {
  const bars = loadBars(opts.file ?? DEFAULT_FILE);
  const passes = opts.passes ?? 9;
  const window = opts.window ?? 200;
  const chunks = opts.chunks ?? 6;
  const chunkSize = opts.chunkSize ?? 200;
  if (bars.length < window + (chunks + 1) * chunkSize) throw new RangeError(`bench file too short: ${bars.length} candles`);

  // Incremental: whole-file passes, each on a fresh set (as a symbol starting from its history).
  const perCandle: number[] = [];
  for (let p = 0; p < passes + 3; p++) {
    const set = new IndicatorSet();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < bars.length; i++) sink += set.update(bars[i]!).rsi_value ?? 0;
    const dt = Number(process.hrtime.bigint() - t0) / 1e3;
    if (p >= 3) perCandle.push(dt / bars.length);
  }
  const incremental = median(perCandle);

  // Baseline: recompute over the trailing window on each new candle.
  const chunkTimes: number[] = [];
  let i = window;
  for (let c = 0; c < chunks + 1; c++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < chunkSize; k++, i++) recomputeAll(bars.slice(i - window + 1, i + 1));
    const dt = Number(process.hrtime.bigint() - t0) / 1e3;
    if (c > 0) chunkTimes.push(dt / chunkSize);
    await new Promise<void>((resolve) => setImmediate(resolve)); // let an orchestrating event loop breathe
  }
  const baseline = median(chunkTimes);

  const peers = await benchPeers(bars);

  if (!Number.isFinite(sink)) throw new Error('bench produced a non-finite checksum');
  const round = (x: number, d: number) => Number(x.toFixed(d));
  return {
    incremental_us_per_candle: round(incremental, 3),
    window_recompute_us_per_candle: round(baseline, 1),
    speedup: round(baseline / incremental, 1),
    set_ns_per_candle: peers.set.signalbase,
    peer_ns_per_candle: Object.fromEntries(PEERS.map((p) => [p, peers.set[p]])) as IndicatorsBench['peer_ns_per_candle'],
    per_indicator_ns: peers.per_indicator,
    slower_than_fastest_peer: peers.slower_than_fastest_peer,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchIndicators();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
