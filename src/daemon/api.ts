/**
 * What the HTTP API asks of the running pipeline (serve/types.ts ApiDeps), answered from the live
 * engine's state, the model slot and the store.
 *
 * POST /v1/predict
 * - without candles: the signal for the symbol's latest closed candle, from the engine's state of
 *   that series (the model's window when a model serves and the window is full, else the rule
 *   consensus);
 * - with candles: the same computation over a temporary SymbolFeatureState fed the given candles
 *   (validated like any feed candle); fewer than the indicators' warm-up is a 400.
 * Either way it is written through the outbox with prediction_type 'API'. The store keeps one row
 * per (symbol, timeframe, candle_time, model_version): when the live loop already stored a signal
 * for that candle and model, the API's row is a no-op and the returned signal has the same id.
 *
 * Everything the computation reads from shared state is read synchronously before the one await
 * (the model's predict), so a tick landing meanwhile cannot mix two candles into one answer.
 */
import type { BarrierParams } from '../domain/barrier.ts';
import type { Candle } from '../domain/candle.ts';
import type { Clock } from '../domain/clock.ts';
import type { PredictionRecord } from '../domain/prediction.ts';
import { toSignal, type Signal } from '../domain/signal.ts';
import type { Timeframe } from '../domain/timeframe.ts';
import type { IndicatorWeights } from '../features/weights.ts';
import { IndicatorSet } from '../features/indicator-set.ts';
import { SymbolFeatureState } from '../features/symbol-state.ts';
import type { Logger } from '../log.ts';
import { validateCandle } from '../ingest/validate.ts';
import { probabilitiesAt } from '../model/classes.ts';
import { InvalidCandlesError, NotReadyError, UnknownSymbolError } from '../serve/errors.ts';
import type { ApiCandle } from '../serve/types.ts';
import { RULES_MODEL_VERSION, decideSignal, rulesProbabilities } from '../signals/policy.ts';
import type { OutboxWriter } from '../store/outbox/index.ts';
import type { ServingModel } from './models.ts';

export interface PipelineView {
  /** The engine's state of a series, null when it has seen no candle of it. */
  series(symbol: string): SymbolFeatureState | null;
  /** Timeframe of each symbol this instance handles. */
  timeframes: ReadonlyMap<string, Timeframe>;
  model(): ServingModel | null;
  weights(): IndicatorWeights;
}

export interface PipelineApiDeps {
  view: PipelineView;
  writer: () => OutboxWriter | null;
  barrier: BarrierParams;
  clock: Clock;
  windowSize: number;
  log: Logger;
}

export class PipelineApi {
  constructor(private readonly d: PipelineApiDeps) {}

  knownSymbols(): string[] {
    return [...this.d.view.timeframes.keys()];
  }

  async predict(symbol: string, candles?: ApiCandle[]): Promise<Signal> {
    const timeframe = this.d.view.timeframes.get(symbol);
    if (!timeframe) throw new UnknownSymbolError(symbol);
    let state: SymbolFeatureState;
    if (candles && candles.length > 0) {
      state = this.stateFrom(symbol, timeframe, candles);
    } else {
      const live = this.d.view.series(symbol);
      if (!live?.lastCandle) throw new NotReadyError(`no candle of ${symbol} has arrived yet`, { symbol });
      if (!live.indicators.isReady) throw new NotReadyError(`${symbol}'s indicators are still warming up`, { symbol });
      state = live;
    }
    const record = await this.signalFrom(state, timeframe);
    try {
      this.d.writer()?.insertPredictions([record]);
    } catch (err) {
      // The answer stands even when it cannot be logged (the outbox is stopping).
      this.d.log.warn({ err, symbol }, 'API prediction computed but not logged to the store');
    }
    return toSignal(record);
  }

  indicators(symbol: string): Record<string, unknown> | null {
    const state = this.d.view.series(symbol);
    const bar = state?.lastCandle;
    if (!state || !bar) return null;
    const weights = this.d.view.weights();
    const c = state.consensus(weights);
    return {
      symbol,
      timeframe: this.d.view.timeframes.get(symbol) ?? null,
      candle_time: new Date(bar.openTime).toISOString(),
      close: bar.close,
      ready: state.indicators.isReady,
      indicators: state.values,
      weights,
      consensus: c ? { score: c.score, direction: c.direction, confidence: c.confidence, voters: c.voters, votes: c.votes } : null,
      summary: state.summary(),
      model_version: this.d.view.model()?.version ?? RULES_MODEL_VERSION,
    };
  }

  private stateFrom(symbol: string, timeframe: Timeframe, given: ApiCandle[]): SymbolFeatureState {
    const now = this.d.clock.now();
    const state = new SymbolFeatureState(symbol, { windowSize: this.d.windowSize });
    let last = Number.NEGATIVE_INFINITY;
    for (const [i, raw] of given.entries()) {
      const check = validateCandle({ symbol, timeframe, ...raw }, { now });
      if (!check.ok) throw new InvalidCandlesError(`candles[${i}]: ${check.message}`, { index: i, reason: check.reason });
      if (check.candle.openTime <= last) throw new InvalidCandlesError(`candles[${i}]: open times must increase strictly, oldest first`, { index: i });
      last = check.candle.openTime;
      state.update(check.candle);
    }
    if (!state.indicators.isReady) {
      throw new InvalidCandlesError(`${given.length} candle(s) given; the indicators need at least ${IndicatorSet.WARMUP_CANDLES} (a model window ${IndicatorSet.WARMUP_CANDLES + this.d.windowSize - 1})`, {
        given: given.length,
        needed: IndicatorSet.WARMUP_CANDLES,
      });
    }
    return state;
  }

  private async signalFrom(state: SymbolFeatureState, timeframe: Timeframe): Promise<PredictionRecord> {
    const started = performance.now();
    // Synchronous snapshot of everything shared (see the file comment).
    const bar = state.lastCandle!;
    const values = state.values!;
    const weights = this.d.view.weights();
    const consensus = state.consensus(weights)!;
    const summary = state.summary();
    const model = this.d.view.model();
    const useModel = model !== null && state.isReady && model.predictor.timesteps === state.windowSize;
    const window = useModel ? state.window(model.pipeline) : null;
    const latest = useModel ? state.latestTransformed() : null;
    const candle: Candle = { symbol: state.symbol, timeframe, ...bar };
    const probabilities = useModel ? probabilitiesAt(await model.predictor.predict(window!, 1), 0) : rulesProbabilities(consensus);
    return decideSignal({
      candle,
      indicators: values,
      probabilities,
      modelVersion: useModel ? model.version : RULES_MODEL_VERSION,
      selection: useModel ? (model.selection ?? null) : null,
      weights,
      barrier: this.d.barrier,
      clock: this.d.clock,
      processingTimeMs: performance.now() - started,
      predictionType: 'API',
      consensus,
      summary,
      inputFeatures: useModel ? { features: model.pipeline.features, timesteps: state.windowSize, latest: Array.from(latest ?? []) } : { features: 'rules' },
    });
  }
}
