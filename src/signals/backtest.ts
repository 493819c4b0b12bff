/**
 * A backtest: the live pipeline (SignalEngine: features, model or rules, policy, outcome tracker)
 * run over stored or replayed candles with no wall-clock waits, ticks batched so inference batches
 * across time. Every signal is then scored against the triple-barrier label of its candle, the same
 * label training uses, beside the always-HOLD baseline and the rule consensus on the same candles.
 *
 * Scored signals: those of the model under test (or of the rules when no model is active). Signals
 * the rules emitted while a model's window was still filling, and candles too close to the end to
 * be labelled, are counted but not scored.
 */
import { tripleBarrierAt, type BarrierParams, type PriceArrays } from '../domain/barrier.ts';
import type { Candle } from '../domain/candle.ts';
import type { Clock } from '../domain/clock.ts';
import type { Direction, Outcome } from '../domain/prediction.ts';
import type { IndicatorWeights } from '../features/weights.ts';
import { mergeTicks } from '../ingest/merge.ts';
import type { CandleBatch } from '../ingest/source.ts';
import type { Logger } from '../log.ts';
import { evaluateAlwaysHold, evaluatePredictions, type Evaluation } from '../model/evaluate.ts';
import { SignalEngine, type TickOutput } from './engine.ts';
import { type EngineModel } from './decision.ts';
import { RULES_MODEL_VERSION } from './policy.ts';

export interface BacktestOptions {
  series: readonly (readonly Candle[])[];
  model: EngineModel | null;
  barrier: BarrierParams;
  weights: IndicatorWeights;
  log: Logger;
  clock: Clock;
  windowSize?: number;
  /** Ticks per engine call (inference batches across them). Default 64. */
  ticksPerBatch?: number;
  onProgress?: (done: number, total: number) => void;
  /** Score only signals whose candle_time is in [from, to) (walk-forward: the fold's test window; earlier candles only warm up). */
  scoreWindow?: { from: number; to: number };
  /** Every tick's output, in order (walk-forward feeds its drift monitor). */
  onTick?: (out: TickOutput) => void;
}

/** The scored signals' labels, predictions and barrier P/L, aligned, in stream order. */
export interface ScoredSamples {
  actual: Direction[];
  predicted: Direction[];
  rules: Direction[];
  buyPnlPct: number[];
  sellPnlPct: number[];
  /** candle_time of each scored signal. */
  times: number[];
}

export interface BacktestResult {
  modelVersion: string;
  series: Array<{ symbol: string; timeframe: string; candles: number }>;
  period: { from: string; to: string } | null;
  signals: { total: number; scored: number; byDirection: Record<Direction, number> };
  /** Outcomes the live tracker resolved during the run (open ones at the end are not counted). */
  outcomes: Record<Outcome, number>;
  evaluations: { model: Evaluation | null; alwaysHold: Evaluation | null; rules: Evaluation | null };
  samples: ScoredSamples;
  durationMs: number;
}

/** The three evaluations of scored samples (null with none). */
export function evaluateSamples(s: ScoredSamples): BacktestResult['evaluations'] {
  if (s.actual.length === 0) return { model: null, alwaysHold: null, rules: null };
  const base = { actual: s.actual, buyPnlPct: s.buyPnlPct, sellPnlPct: s.sellPnlPct };
  return {
    model: evaluatePredictions({ ...base, predicted: s.predicted }),
    alwaysHold: evaluateAlwaysHold(base),
    rules: evaluatePredictions({ ...base, predicted: s.rules }),
  };
}

interface SeriesIndex {
  prices: PriceArrays;
  indexOf: Map<number, number>;
}

function indexSeries(series: readonly (readonly Candle[])[]): Map<string, SeriesIndex> {
  const out = new Map<string, SeriesIndex>();
  for (const s of series) {
    if (s.length === 0) continue;
    const prices = { high: s.map((c) => c.high), low: s.map((c) => c.low), close: s.map((c) => c.close) };
    out.set(`${s[0]!.symbol}|${s[0]!.timeframe}`, { prices, indexOf: new Map(s.map((c, i) => [c.openTime, i])) });
  }
  return out;
}

export async function runBacktest(o: BacktestOptions): Promise<BacktestResult> {
  const started = performance.now();
  const engine = new SignalEngine({
    barrier: o.barrier,
    weights: o.weights,
    clock: o.clock,
    log: o.log,
    windowSize: o.windowSize ?? 60,
    predictionType: 'BACKTEST',
  });
  if (o.model) engine.setModel(o.model);
  const scoredVersion = o.model?.version ?? RULES_MODEL_VERSION;
  const index = indexSeries(o.series);
  const ticks: CandleBatch[] = [...mergeTicks(o.series.map((s) => [...s]))].map((t) => ({ closeTime: t.closeTime, candles: t.candles, backfill: false }));
  const per = o.ticksPerBatch ?? 64;

  const samples: ScoredSamples = { actual: [], predicted: [], rules: [], buyPnlPct: [], sellPnlPct: [], times: [] };
  const { actual, predicted, rules, buyPnlPct: buyPnl, sellPnlPct: sellPnl } = samples;
  const win = o.scoreWindow;
  const byDirection: Record<Direction, number> = { BUY: 0, SELL: 0, HOLD: 0 };
  const outcomes: Record<Outcome, number> = { TP_HIT: 0, SL_HIT: 0, EXPIRED: 0, NO_TRADE: 0 };
  let total = 0;

  try {
    for (let i = 0; i < ticks.length; i += per) {
      for (const out of await engine.process(ticks.slice(i, i + per))) {
        o.onTick?.(out);
        for (const r of out.resolved) outcomes[r.outcome.outcome]++;
        for (const s of out.signals) {
          total++;
          byDirection[s.predictedDirection]++;
          if (s.modelVersion !== scoredVersion) continue;
          if (win && (s.candleTime < win.from || s.candleTime >= win.to)) continue;
          const series = index.get(`${s.symbol}|${s.timeframe}`)!;
          const label = tripleBarrierAt(series.prices, s.technicalIndicators.atr_value, series.indexOf.get(s.candleTime)!, o.barrier);
          if (!label) continue;
          actual.push(label.label);
          predicted.push(s.predictedDirection);
          rules.push((s.marketConditions?.consensus_direction as Direction | undefined) ?? 'HOLD');
          buyPnl.push(label.long.pnlPct);
          sellPnl.push(label.short.pnlPct);
          samples.times.push(s.candleTime);
        }
      }
      o.onProgress?.(Math.min(i + per, ticks.length), ticks.length);
    }
  } finally {
    await engine.stop();
  }

  const times = o.series.flatMap((s) => (s.length ? [s[0]!.openTime, s.at(-1)!.openTime] : []));
  return {
    modelVersion: scoredVersion,
    series: o.series.filter((s) => s.length).map((s) => ({ symbol: s[0]!.symbol, timeframe: s[0]!.timeframe, candles: s.length })),
    period: times.length ? { from: new Date(Math.min(...times)).toISOString(), to: new Date(Math.max(...times)).toISOString() } : null,
    signals: { total, scored: actual.length, byDirection },
    outcomes,
    evaluations: evaluateSamples(samples),
    samples,
    durationMs: performance.now() - started,
  };
}
