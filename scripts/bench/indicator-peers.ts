/**
 * Bench, `indicators` part, peers: the 12 indicators signalbase, @debut/indicators and
 * trading-signals all have (ADX 14, RSI 14, EMA 12/21/50, ATR 14, Bollinger 20/2, Stochastic 14/3/3,
 * MACD 12/26/9, SMA 20 of the volume, MFI 14, ROC 1 / price change), streamed one closed candle at
 * a time over the same real file in the same process. Each library's own streaming call:
 * signalbase `update(bar)`, @debut/indicators `nextValue(...)`, trading-signals `update(x, false)`.
 *
 * Rounds interleave the libraries indicator by indicator (so load on a shared machine hits all of
 * them alike); each sample is the best of 3 timings of `filePasses` whole-file passes, each pass on a
 * fresh instance; the figure is the median sample over the rounds, in ns per candle. `set` is the sum over the 12 (the cost of all 12 for one candle).
 */
import * as debut from '@debut/indicators';
import * as ts from 'trading-signals';
import type { Bar } from '../../src/features/indicators/indicator.ts';
import { Adx } from '../../src/features/indicators/adx.ts';
import { Atr } from '../../src/features/indicators/atr.ts';
import { Bollinger } from '../../src/features/indicators/bollinger.ts';
import { Ema } from '../../src/features/indicators/ema.ts';
import { Macd } from '../../src/features/indicators/macd.ts';
import { Mfi } from '../../src/features/indicators/mfi.ts';
import { PriceChange } from '../../src/features/indicators/price-change.ts';
import { Rsi } from '../../src/features/indicators/rsi.ts';
import { Stochastic } from '../../src/features/indicators/stochastic.ts';
import { VolumeMa } from '../../src/features/indicators/volume-ma.ts';

export const PEERS = ['@debut/indicators', 'trading-signals'] as const;
export type Library = 'signalbase' | (typeof PEERS)[number];
export const SHARED = ['adx', 'rsi', 'ema_12', 'ema_21', 'ema_50', 'atr', 'bollinger', 'stochastic', 'macd', 'volume_sma', 'mfi', 'roc'] as const;
type Shared = (typeof SHARED)[number];

let sink = 0;
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/**
 * One pass over `bars` on a fresh instance, per library and indicator. Every pass is its own
 * function literal, for every library alike: a shared helper loop would make one call site serve
 * many classes (megamorphic) and slow down whichever library used it.
 */
type Pass = (bars: readonly Bar[]) => void;

const PASSES: Record<Shared, Record<Library, Pass>> = {
  adx: {
    signalbase: (bars) => {
      const s = new Adx(14);
      for (let i = 0; i < bars.length; i++) {
        const v = s.update(bars[i]!);
        if (v !== null) sink += v;
      }
    },
    '@debut/indicators': (bars) => {
      const s = new debut.ADX(14);
      for (const b of bars) sink += num(s.nextValue(b.high, b.low, b.close)?.adx);
    },
    'trading-signals': (bars) => {
      const s = new ts.ADX(14);
      for (const b of bars) sink += num(s.update(b, false));
    },
  },
  rsi: {
    signalbase: (bars) => {
      const s = new Rsi(14);
      for (let i = 0; i < bars.length; i++) {
        const v = s.update(bars[i]!);
        if (v !== null) sink += v;
      }
    },
    '@debut/indicators': (bars) => {
      const s = new debut.RSI(14);
      for (const b of bars) sink += num(s.nextValue(b.close));
    },
    'trading-signals': (bars) => {
      const s = new ts.RSI(14);
      for (const b of bars) sink += num(s.update(b.close, false));
    },
  },
  ema_12: {
    signalbase: (bars) => {
      const s = new Ema(12);
      for (let i = 0; i < bars.length; i++) {
        const v = s.update(bars[i]!);
        if (v !== null) sink += v;
      }
    },
    '@debut/indicators': (bars) => {
      const s = new debut.EMA(12);
      for (const b of bars) sink += num(s.nextValue(b.close));
    },
    'trading-signals': (bars) => {
      const s = new ts.EMA(12);
      for (const b of bars) sink += num(s.update(b.close, false));
    },
  },
  ema_21: {
    signalbase: (bars) => {
      const s = new Ema(21);
      for (let i = 0; i < bars.length; i++) {
        const v = s.update(bars[i]!);
        if (v !== null) sink += v;
      }
    },
    '@debut/indicators': (bars) => {
      const s = new debut.EMA(21);
      for (const b of bars) sink += num(s.nextValue(b.close));
    },
    'trading-signals': (bars) => {
      const s = new ts.EMA(21);
      for (const b of bars) sink += num(s.update(b.close, false));
    },
  },
  ema_50: {
    signalbase: (bars) => {
      const s = new Ema(50);
      for (let i = 0; i < bars.length; i++) {
        const v = s.update(bars[i]!);
        if (v !== null) sink += v;
      }
    },
    '@debut/indicators': (bars) => {
      const s = new debut.EMA(50);
      for (const b of bars) sink += num(s.nextValue(b.close));
    },
    'trading-signals': (bars) => {
      const s = new ts.EMA(50);
      for (const b of bars) sink += num(s.update(b.close, false));
    },
  },
  atr: {
    signalbase: (bars) => {
      const s = new Atr(14);
      for (let i = 0; i < bars.length; i++) {
        const v = s.update(bars[i]!);
        if (v !== null) sink += v;
      }
    },
    '@debut/indicators': (bars) => {
      const s = new debut.ATR(14);
      for (const b of bars) sink += num(s.nextValue(b.high, b.low, b.close));
    },
    'trading-signals': (bars) => {
      const s = new ts.ATR(14);
      for (const b of bars) sink += num(s.update(b, false));
    },
  },
  bollinger: {
    signalbase: (bars) => {
      const s = new Bollinger(20, 2);
      for (let i = 0; i < bars.length; i++) {
        const v = s.update(bars[i]!);
        if (v !== null) sink += v.upper;
      }
    },
    '@debut/indicators': (bars) => {
      const s = new debut.BollingerBands(20, 2);
      for (const b of bars) sink += num(s.nextValue(b.close)?.upper);
    },
    'trading-signals': (bars) => {
      const s = new ts.BollingerBands(20, 2);
      for (const b of bars) sink += num(s.update(b.close, false)?.upper);
    },
  },
  stochastic: {
    signalbase: (bars) => {
      const s = new Stochastic(14, 3, 3);
      for (let i = 0; i < bars.length; i++) {
        const v = s.update(bars[i]!);
        if (v !== null) sink += v.k;
      }
    },
    '@debut/indicators': (bars) => {
      const s = new debut.Stochastic(14, 3);
      for (const b of bars) sink += num(s.nextValue(b.high, b.low, b.close)?.k);
    },
    'trading-signals': (bars) => {
      const s = new ts.StochasticOscillator({ kPeriod: 14, kSlowingPeriod: 3, dPeriod: 3 });
      for (const b of bars) sink += num(s.update(b, false)?.stochK);
    },
  },
  macd: {
    signalbase: (bars) => {
      const s = new Macd(12, 26, 9);
      for (let i = 0; i < bars.length; i++) {
        const v = s.update(bars[i]!);
        if (v !== null) sink += v.macd;
      }
    },
    '@debut/indicators': (bars) => {
      const s = new debut.MACD(12, 26, 9);
      for (const b of bars) sink += num(s.nextValue(b.close)?.macd);
    },
    'trading-signals': (bars) => {
      const s = new ts.MACD(new ts.EMA(12), new ts.EMA(26), new ts.EMA(9));
      for (const b of bars) sink += num(s.update(b.close, false)?.macd);
    },
  },
  volume_sma: {
    signalbase: (bars) => {
      const s = new VolumeMa(20);
      for (let i = 0; i < bars.length; i++) {
        const v = s.update(bars[i]!);
        if (v !== null) sink += v;
      }
    },
    '@debut/indicators': (bars) => {
      const s = new debut.SMA(20);
      for (const b of bars) sink += num(s.nextValue(b.volume));
    },
    'trading-signals': (bars) => {
      const s = new ts.SMA(20);
      for (const b of bars) sink += num(s.update(b.volume, false));
    },
  },
  mfi: {
    signalbase: (bars) => {
      const s = new Mfi(14);
      for (let i = 0; i < bars.length; i++) {
        const v = s.update(bars[i]!);
        if (v !== null) sink += v;
      }
    },
    '@debut/indicators': (bars) => {
      const s = new debut.MFI(14);
      for (const b of bars) sink += num(s.nextValue(b.high, b.low, b.close, b.volume));
    },
    'trading-signals': (bars) => {
      const s = new ts.MFI(14);
      for (const b of bars) sink += num(s.update(b, false));
    },
  },
  roc: {
    signalbase: (bars) => {
      const s = new PriceChange();
      for (let i = 0; i < bars.length; i++) {
        const v = s.update(bars[i]!);
        if (v !== null) sink += v;
      }
    },
    '@debut/indicators': (bars) => {
      const s = new debut.ROC(1);
      for (const b of bars) sink += num(s.nextValue(b.close));
    },
    'trading-signals': (bars) => {
      const s = new ts.ROC(1);
      for (const b of bars) sink += num(s.update(b.close, false));
    },
  },
};

export interface PeerBench {
  /** ns per candle for all 12, per library. */
  set: Record<Library, number>;
  /** ns per candle, per indicator and library. */
  per_indicator: Record<Shared, Record<Library, number>>;
  /** Indicators where signalbase is slower than the fastest peer (should be empty). */
  slower_than_fastest_peer: Shared[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function benchPeers(bars: readonly Bar[], opts: { rounds?: number; warmup?: number; filePasses?: number } = {}): Promise<PeerBench> {
  const rounds = opts.rounds ?? 15;
  const warmup = opts.warmup ?? 5;
  const filePasses = opts.filePasses ?? 3;
  const libs: Library[] = ['signalbase', ...PEERS];
  const samples = Object.fromEntries(SHARED.map((k) => [k, Object.fromEntries(libs.map((l) => [l, [] as number[]]))])) as Record<Shared, Record<Library, number[]>>;
  for (let r = 0; r < warmup + rounds; r++) {
    for (const k of SHARED) {
      // Rotate the order within a round so no library always runs first.
      for (let j = 0; j < libs.length; j++) {
        const lib = libs[(j + r) % libs.length]!;
        const pass = PASSES[k][lib];
        // One sample: the best of 3 timings of `filePasses` passes (a pass is ~0.1–1 ms: one
        // preemption on a busy machine would otherwise dominate it).
        let ns = Infinity;
        for (let t = 0; t < 3; t++) {
          const t0 = process.hrtime.bigint();
          for (let p = 0; p < filePasses; p++) pass(bars);
          ns = Math.min(ns, Number(process.hrtime.bigint() - t0) / (filePasses * bars.length));
        }
        if (r >= warmup) samples[k][lib].push(ns);
      }
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (!Number.isFinite(sink)) throw new Error('peer bench produced a non-finite checksum');
  const round1 = (x: number) => Number(x.toFixed(1));
  const per = Object.fromEntries(SHARED.map((k) => [k, Object.fromEntries(libs.map((l) => [l, round1(median(samples[k][l]))]))])) as Record<Shared, Record<Library, number>>;
  const set = Object.fromEntries(libs.map((l) => [l, round1(SHARED.reduce((a, k) => a + per[k][l], 0))])) as Record<Library, number>;
  const slower = SHARED.filter((k) => per[k].signalbase > Math.min(...PEERS.map((p) => per[k][p])));
  return { set, per_indicator: per, slower_than_fastest_peer: slower };
}
