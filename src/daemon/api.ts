/**
 * What the HTTP API asks of the running pipeline (serve/types.ts ApiDeps), answered from the live
 * engine's state, the model slot and the store.
 *
 * POST /v1/predict
 * - without candles: the signal for the symbol's latest closed candle, from the engine's state of
 *   that series (the model's window when a model serves and the window is full, else the rule
 *   consensus);
 * - with candles: the same computation over a temporary SymbolFeatureState fed the given candles
 *   (validated like any feed candle); fewer than the indicators' warm-up is a 400, more than the
 *   warm-up plus one model window a 413. Building that state yields to the event loop every
 *   YIELD_EVERY candles, and a ComputeGate bounds how many run at once per key and in all, so
 *   callers' candles never hold the live loop.
 * Either way the call is written through the outbox as an API row: prediction_type 'API', an id of
 * its own (random), the calling key and the user it was made for. It never takes a SIGNAL's key
 * (DESIGN.md "Access and integrity": the live signal's insert always wins), never reaches the
 * stream, the tracker or the training samples. Without candles the answer is the live state's
 * signal, with the live signal's id; with candles it is the API row, with the API row's id.
 *
 * The signal itself is the engine's (SignalEngine.signalFor, signals/decision.ts): the same
 * rules-or-model choice as a tick, the model's predict through the engine's bounded batcher, and
 * everything read from shared state read synchronously before that one await, so a tick landing
 * meanwhile cannot mix two candles into one answer.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.ts';
import type { PredictionRecord } from '../domain/prediction.ts';
import { toSignal, type Signal } from '../domain/signal.ts';
import type { Timeframe } from '../domain/timeframe.ts';
import type { IndicatorWeights } from '../features/weights.ts';
import { IndicatorSet } from '../features/indicator-set.ts';
import { SymbolFeatureState } from '../features/symbol-state.ts';
import type { Logger } from '../log.ts';
import { validateCandle } from '../ingest/validate.ts';
import { ApiError, InvalidCandlesError, NotReadyError, UnknownSymbolError } from '../serve/errors.ts';
import type { ApiCandle, PredictCaller } from '../serve/types.ts';
import { RULES_MODEL_VERSION } from '../signals/policy.ts';
import type { OutboxWriter } from '../store/outbox/index.ts';
import { ComputeGate } from './compute-gate.ts';
import type { ServingModel } from './models.ts';

/** Caller candles are fed this many at a time between turns of the event loop. */
const YIELD_EVERY = 32;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NO_CALLER: PredictCaller = { keyId: null, requestedBy: null };
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface PipelineView {
  /** The engine's state of a series, null when it has seen no candle of it. */
  series(symbol: string): SymbolFeatureState | null;
  /** Timeframe of each symbol this instance handles. */
  timeframes: ReadonlyMap<string, Timeframe>;
  model(): ServingModel | null;
  weights(): IndicatorWeights;
  /** The signal for a series' latest candle, by the engine's decision (SignalEngine.signalFor). */
  signal(state: SymbolFeatureState, timeframe: Timeframe): Promise<PredictionRecord>;
}

export interface PipelineApiDeps {
  view: PipelineView;
  writer: () => OutboxWriter | null;
  clock: Clock;
  windowSize: number;
  log: Logger;
  /** Bounds concurrent candle computations (default: 2 per key, 4 in all, 16 waiting per key). */
  gate?: ComputeGate;
}

export class PipelineApi {
  private readonly gate: ComputeGate;

  constructor(private readonly d: PipelineApiDeps) {
    this.gate = d.gate ?? new ComputeGate({ perKey: 2, total: 4, queuePerKey: 16 });
  }

  /** Most candles a caller may send: the indicators' warm-up plus one model window. */
  get maxCandles(): number {
    return IndicatorSet.WARMUP_CANDLES + this.d.windowSize;
  }

  knownSymbols(): string[] {
    return [...this.d.view.timeframes.keys()];
  }

  async predict(symbol: string, candles?: ApiCandle[], caller: PredictCaller = NO_CALLER): Promise<Signal> {
    const timeframe = this.d.view.timeframes.get(symbol);
    if (!timeframe) throw new UnknownSymbolError(symbol);
    const given = candles && candles.length > 0 ? candles : null;
    if (given && given.length > this.maxCandles) {
      throw new ApiError(413, 'TOO_MANY_CANDLES', `${given.length} candles given; send at most ${this.maxCandles} (the indicators' warm-up of ${IndicatorSet.WARMUP_CANDLES} plus one model window of ${this.d.windowSize}), oldest first`, {
        context: { given: given.length, max: this.maxCandles },
      });
    }
    let record: PredictionRecord;
    if (given) {
      record = await this.gate.run(caller.keyId ?? 'anonymous', async () => this.d.view.signal(await this.stateFrom(symbol, timeframe, given), timeframe));
    } else {
      const live = this.d.view.series(symbol);
      if (!live?.lastCandle) throw new NotReadyError(`no candle of ${symbol} has arrived yet`, { symbol });
      if (!live.indicators.isReady) throw new NotReadyError(`${symbol}'s indicators are still warming up`, { symbol });
      record = await this.d.view.signal(live, timeframe);
    }
    // The API row: its own id, so it can never take the live signal's row (by id or natural key).
    const logged: PredictionRecord = {
      ...record,
      id: randomUUID(),
      predictionType: 'API',
      apiKeyId: caller.keyId !== null && UUID.test(caller.keyId) ? caller.keyId : null,
      requestedBy: caller.requestedBy,
    };
    try {
      this.d.writer()?.insertPredictions([logged]);
    } catch (err) {
      // The answer stands even when it cannot be logged (the outbox is stopping).
      this.d.log.warn({ err, symbol }, 'API prediction computed but not logged to the store');
    }
    return toSignal(given ? logged : record);
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

  private async stateFrom(symbol: string, timeframe: Timeframe, given: ApiCandle[]): Promise<SymbolFeatureState> {
    const now = this.d.clock.now();
    const state = new SymbolFeatureState(symbol, { windowSize: this.d.windowSize });
    let last = Number.NEGATIVE_INFINITY;
    for (const [i, raw] of given.entries()) {
      const check = validateCandle({ symbol, timeframe, ...raw }, { now });
      if (!check.ok) throw new InvalidCandlesError(`candles[${i}]: ${check.message}`, { index: i, reason: check.reason });
      if (check.candle.openTime <= last) throw new InvalidCandlesError(`candles[${i}]: open times must increase strictly, oldest first`, { index: i });
      last = check.candle.openTime;
      state.update(check.candle);
      if ((i + 1) % YIELD_EVERY === 0) await turn();
    }
    if (!state.indicators.isReady) {
      throw new InvalidCandlesError(`${given.length} candle(s) given; the indicators need at least ${IndicatorSet.WARMUP_CANDLES} (a model window ${IndicatorSet.WARMUP_CANDLES + this.d.windowSize - 1})`, {
        given: given.length,
        needed: IndicatorSet.WARMUP_CANDLES,
      });
    }
    return state;
  }
}
