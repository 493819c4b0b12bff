/**
 * No drift in the running-sum indicators (src/features/indicators/running.ts): feeds `candles`
 * synthetic candles (default 10 million) to Bollinger(20,2), Stochastic(14,3,3), SMA(volume,20),
 * MFI(14) and volatility(20), and on every `checkEvery`-th candle compares each value with a
 * from-scratch computation over the trailing window (the definitions, written out here). Then it
 * feeds the real LTC/BTC 5m file (data/sample) to the same, already 10-million-candle-old
 * instances and compares every value from TA-Lib's first one on with the TA-Lib 0.6 fixture
 * (tests/fixtures/talib): windowed indicators forget everything older than their window, so after
 * the file's first window they must equal TA-Lib's values on it.
 *
 * The synthetic series is built to break running sums: a log random walk with jumps of ×1000 and
 * ÷1000 (a large mean leaving the window), flat stretches (zero variance, zero range), volume regimes
 * from 1e7 down to 1e-4 and stretches of zero volume (a sum that must come back to exactly 0).
 *
 *   node --import tsx scripts/indicator-drift.ts [--candles 10000000] [--check-every 97]
 * prints a JSON report and exits 1 when any relative error exceeds 1e-9 (floor 1 on the 0–100
 * oscillators, as in the contract tests). tests/features/running-drift.test.ts runs it on 2 million.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mulberry32, normals } from '../src/ingest/prng.ts';
import { Bollinger } from '../src/features/indicators/bollinger.ts';
import type { Bar } from '../src/features/indicators/indicator.ts';
import { Mfi } from '../src/features/indicators/mfi.ts';
import { Stochastic } from '../src/features/indicators/stochastic.ts';
import { Volatility } from '../src/features/indicators/volatility.ts';
import { VolumeMa } from '../src/features/indicators/volume-ma.ts';

export const REL_TOL = 1e-9;
const HISTORY = 64;

type Series = 'bollinger_upper' | 'bollinger_lower' | 'stoch_k' | 'stoch_d' | 'volume_ma' | 'mfi_value' | 'volatility';
const OSCILLATORS = new Set<Series>(['stoch_k', 'stoch_d', 'mfi_value']);

export interface DriftReport {
  candles: number;
  checks: number;
  /** Largest |ours − from scratch| / max(|from scratch|, floor) per series over the synthetic run. */
  max_rel_error: Record<Series, number>;
  /** The same against TA-Lib on the real file fed after the synthetic candles (volatility: not a TA-Lib function). */
  talib_after: { file: string; compared: number; max_rel_error: Partial<Record<Series, number>> };
  ok: boolean;
}

/** Adversarial synthetic candles, deterministic in `seed`. */
export function* syntheticCandles(n: number, seed = 42): Generator<Bar> {
  const u = mulberry32(seed);
  const z = normals(u);
  let logPrice = Math.log(100);
  let volLevel = 1;
  let flat = 0;
  let zeroVolume = 0;
  const bar = { openTime: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  for (let i = 0; i < n; i++) {
    const r = u();
    if (r < 2e-5) logPrice += (u() < 0.5 ? 1 : -1) * Math.log(1000);
    else if (r < 4e-5) flat = 40 + Math.floor(u() * 60);
    else if (r < 6e-5) zeroVolume = 30 + Math.floor(u() * 60);
    else if (r < 1e-4) volLevel = 10 ** (Math.floor(u() * 12) - 4);
    if (logPrice > 25 || logPrice < -25) logPrice = Math.log(100);
    const open = Math.exp(logPrice);
    if (flat > 0) {
      flat--;
    } else {
      logPrice += 0.002 * z();
    }
    const close = Math.exp(logPrice);
    const wick = flat > 0 ? 0 : Math.abs(0.001 * z());
    bar.openTime = i * 300_000;
    bar.open = open;
    bar.close = flat > 0 ? open : close;
    bar.high = Math.max(bar.open, bar.close) * (1 + wick);
    bar.low = Math.min(bar.open, bar.close) / (1 + wick);
    if (zeroVolume > 0) {
      zeroVolume--;
      bar.volume = 0;
    } else {
      bar.volume = volLevel * Math.exp(z());
    }
    yield bar;
  }
}

/** The five indicators under test, as one updatable set. */
function instances() {
  const bb = new Bollinger(20, 2);
  const st = new Stochastic(14, 3, 3);
  const vma = new VolumeMa(20);
  const mfi = new Mfi(14);
  const vol = new Volatility(20);
  return {
    update(b: Bar): Record<Series, number | null> {
      const x = bb.update(b);
      const s = st.update(b);
      return {
        bollinger_upper: x?.upper ?? null,
        bollinger_lower: x?.lower ?? null,
        stoch_k: s?.k ?? null,
        stoch_d: s?.d ?? null,
        volume_ma: vma.update(b),
        mfi_value: mfi.update(b),
        volatility: vol.update(b),
      };
    },
  };
}

/** The definitions, from scratch over the newest bars `h` (oldest first, at least 41 of them). */
function fromScratch(h: readonly Bar[]): Record<Series, number> {
  const n = h.length;
  const last = (k: number) => h.slice(n - k);
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const variance = (xs: number[]) => {
    const m = mean(xs);
    return xs.reduce((a, x) => a + (x - m) * (x - m), 0) / xs.length;
  };
  const closes = last(20).map((b) => b.close);
  const m = mean(closes);
  const v = variance(closes);
  const sigma = v < 1e-14 ? 0 : Math.sqrt(v);
  const fastK = (end: number) => {
    const w = h.slice(end - 14, end);
    const lo = Math.min(...w.map((b) => b.low));
    const diff = (Math.max(...w.map((b) => b.high)) - lo) / 100;
    return diff !== 0 ? (w[13]!.close - lo) / diff : 0;
  };
  const slowK = (end: number) => (fastK(end - 2) + fastK(end - 1) + fastK(end)) / 3;
  const tp = (b: Bar) => (b.high + b.low + b.close) / 3;
  let pos = 0;
  let neg = 0;
  for (let i = n - 14; i < n; i++) {
    const d = tp(h[i]!) - tp(h[i - 1]!);
    const f = tp(h[i]!) * h[i]!.volume;
    pos += d > 0 ? f : 0;
    neg += d < 0 ? f : 0;
  }
  const returns: number[] = [];
  for (let i = n - 20; i < n; i++) returns.push(Math.log(h[i]!.close / h[i - 1]!.close));
  return {
    bollinger_upper: m + 2 * sigma,
    bollinger_lower: m - 2 * sigma,
    stoch_k: slowK(n),
    stoch_d: (slowK(n - 2) + slowK(n - 1) + slowK(n)) / 3,
    volume_ma: mean(last(20).map((b) => b.volume)),
    mfi_value: pos + neg < 1 ? 0 : (100 * pos) / (pos + neg),
    volatility: Math.sqrt(variance(returns)),
  };
}

const relError = (series: Series, got: number, want: number) => Math.abs(got - want) / Math.max(Math.abs(want), OSCILLATORS.has(series) ? 1 : 0) || (got === want ? 0 : Infinity);

const SAMPLE = fileURLToPath(new URL('../data/sample/LTC_BTC-5m.json', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../tests/fixtures/talib/LTC_BTC-5m.json', import.meta.url));

export function runDriftCheck(opts: { candles?: number; checkEvery?: number; seed?: number } = {}): DriftReport {
  const candles = opts.candles ?? 10_000_000;
  const checkEvery = opts.checkEvery ?? 97;
  const set = instances();
  const max = { bollinger_upper: 0, bollinger_lower: 0, stoch_k: 0, stoch_d: 0, volume_ma: 0, mfi_value: 0, volatility: 0 } as Record<Series, number>;
  // The newest HISTORY bars in a ring (copied: the generator reuses its bar object).
  const ring = Array.from({ length: HISTORY }, () => ({ openTime: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 }));
  let checks = 0;
  let i = 0;
  for (const b of syntheticCandles(candles, opts.seed)) {
    const ours = set.update(b);
    Object.assign(ring[i % HISTORY]!, b);
    if (i >= HISTORY && (i % checkEvery === 0 || i === candles - 1)) {
      const window = Array.from({ length: HISTORY }, (_, k) => ring[(i + 1 + k) % HISTORY]!);
      const want = fromScratch(window);
      for (const k of Object.keys(max) as Series[]) max[k] = Math.max(max[k], relError(k, ours[k]!, want[k]));
      checks++;
    }
    i++;
  }
  // Then the real file, on the same instances, against TA-Lib.
  const rows = JSON.parse(readFileSync(SAMPLE, 'utf8')) as number[][];
  const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { candles: number; first_open_time: number; series: Record<string, { begIndex: number; values: (number | null)[] }> };
  if (rows.length !== fixture.candles || rows[0]![0] !== fixture.first_open_time) throw new Error('data/sample/LTC_BTC-5m.json is not the file of the TA-Lib fixture');
  const talibMax: Partial<Record<Series, number>> = {};
  let compared = 0;
  rows.forEach(([openTime, open, high, low, close, volume], j) => {
    const ours = set.update({ openTime: openTime!, open: open!, high: high!, low: low!, close: close!, volume: volume! });
    for (const k of Object.keys(max) as Series[]) {
      const ref = fixture.series[k];
      if (!ref || j < ref.begIndex + HISTORY) continue; // from the file's own first full windows on
      const want = ref.values[j]!;
      talibMax[k] = Math.max(talibMax[k] ?? 0, relError(k, ours[k]!, want));
      compared++;
    }
  });
  const ok = Object.values(max).every((e) => e <= REL_TOL) && Object.values(talibMax).every((e) => e <= REL_TOL);
  return { candles, checks, max_rel_error: max, talib_after: { file: 'LTC_BTC-5m.json', compared, max_rel_error: talibMax }, ok };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { candles: { type: 'string' }, 'check-every': { type: 'string' } } });
  const t0 = performance.now();
  const report = runDriftCheck({ candles: values.candles ? Number(values.candles) : undefined, checkEvery: values['check-every'] ? Number(values['check-every']) : undefined });
  process.stdout.write(`${JSON.stringify({ ...report, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)) })}\n`);
  process.exitCode = report.ok ? 0 : 1;
}
