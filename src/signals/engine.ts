/**
 * The signal engine: one tick of closed candles in, signals and resolved outcomes out. The live
 * daemon, `signalbase backtest` and the bench all run this same code; only what surrounds it
 * (publishing, the outbox, pacing) differs.
 *
 * For each tick, in order:
 *   1. every candle updates its series' features (17 indicators, transformed window);
 *   2. every candle steps the open signals of its series (outcome tracker);
 *   3. every series whose features are ready gets one signal: the active model's probabilities
 *      when its window is full, else the weighted rule consensus (`model_version = "rules"`);
 *   4. the tick's signals, in stream order, start being tracked.
 *
 * Several ticks can go through `process` at once (a fast replay or a backtest): step 1 runs for all
 * of them, then one batched predict covers every window (batching across time), then steps 2-4 run
 * tick by tick. Features never depend on predictions, so the result is the same as tick by tick.
 *
 * A model swap (`setModel`) takes effect at the next call to `process`: a tick never mixes models.
 */
import type { BarrierParams } from '../domain/barrier.ts';
import type { Candle } from '../domain/candle.ts';
import type { Clock } from '../domain/clock.ts';
import type { IndicatorValues } from '../domain/indicators.ts';
import { compareCursors, cursorOf, type PredictionRecord, type PredictionType } from '../domain/prediction.ts';
import type { Timeframe } from '../domain/timeframe.ts';
import type { ConsensusResult } from '../features/consensus.ts';
import { SymbolFeatureState } from '../features/symbol-state.ts';
import type { TechnicalSummary } from '../features/summary.ts';
import type { IndicatorWeights } from '../features/weights.ts';
import type { CandleBatch } from '../ingest/source.ts';
import type { Logger } from '../log.ts';
import { InferenceBatcher } from '../model/batcher.ts';
import { probabilitiesAt } from '../model/classes.ts';
import { decide, modelDecides, type EngineModel, type ModelAnswer } from './decision.ts';
import { RULES_MODEL_VERSION } from './policy.ts';
import { OutcomeTracker, type ResolvedSignal } from './tracker.ts';

export interface EngineOptions {
  barrier: BarrierParams;
  weights: IndicatorWeights;
  clock: Clock;
  log: Logger;
  /** T, rows per model window. Default 60. */
  windowSize?: number;
  /** Largest predict call. Default 256. */
  maxBatch?: number;
  predictionType?: PredictionType;
  tracker?: OutcomeTracker;
}

export interface TickOutput {
  closeTime: number;
  candles: readonly Candle[];
  /** In stream order (domain/prediction.ts compareCursors). */
  signals: PredictionRecord[];
  resolved: ResolvedSignal[];
}

/** What step 1 leaves for steps 2-4 about one candle. */
interface Pending {
  candle: Candle;
  state: SymbolFeatureState;
  values: IndicatorValues;
  consensus: ConsensusResult | null;
  summary: TechnicalSummary | null;
  /** Row in the batched windows, or -1 when the rules decide. */
  windowRow: number;
  /** The candle's transformed row, taken before later ticks move the ring. */
  latest: Float32Array | null;
}

export class SignalEngine {
  readonly tracker: OutcomeTracker;
  private readonly states = new Map<string, SymbolFeatureState>();
  private readonly windowSize: number;
  private readonly batcher: InferenceBatcher;
  private model: EngineModel | null = null;
  private pendingModel: { model: EngineModel | null } | null = null;
  private weights: IndicatorWeights;
  private pendingWeights: IndicatorWeights | null = null;
  private windows = new Float32Array(0);

  constructor(private readonly opts: EngineOptions) {
    this.windowSize = opts.windowSize ?? 60;
    this.weights = { ...opts.weights };
    this.batcher = new InferenceBatcher(null, { maxBatch: opts.maxBatch ?? 256, maxQueue: Math.max(4096, opts.maxBatch ?? 256), log: opts.log });
    this.tracker = opts.tracker ?? new OutcomeTracker({ barrier: opts.barrier, log: opts.log });
  }

  /** The version signals are computed with right now ('rules' before any model). */
  get modelVersion(): string {
    return this.model?.version ?? RULES_MODEL_VERSION;
  }

  /** Series known to the engine, as 'SYMBOL|TF'. */
  get seriesCount(): number {
    return this.states.size;
  }

  /** Swaps the model in at the next tick boundary; null returns to the rule consensus. */
  setModel(model: EngineModel | null): void {
    if (model && model.predictor.features !== model.pipeline.width) {
      throw new RangeError(`model ${model.version} reads ${model.predictor.features} features but its pipeline encodes ${model.pipeline.width}`);
    }
    if (model && model.predictor.timesteps !== this.windowSize) {
      throw new RangeError(`model ${model.version} reads windows of ${model.predictor.timesteps}, the engine keeps ${this.windowSize}`);
    }
    this.pendingModel = { model };
  }

  /**
   * New rule-consensus weights, swapped in at the next tick boundary (a tick in flight keeps the
   * weights it started with; models keep their own snapshot).
   */
  setWeights(weights: IndicatorWeights): void {
    this.pendingWeights = { ...weights };
  }

  /** The weights the next tick uses. */
  get currentWeights(): Readonly<IndicatorWeights> {
    return this.pendingWeights ?? this.weights;
  }

  /** Feeds history into the features only: no signal, no outcome (start-up warm-up). */
  warmup(candles: readonly Candle[]): number {
    let used = 0;
    for (const c of candles) {
      const state = this.stateFor(c);
      const last = state.lastCandle;
      if (last && c.openTime <= last.openTime) continue;
      state.update(c);
      used++;
    }
    return used;
  }

  /** Whether a series has seen any candle and, if so, the open time of its latest. */
  lastOpenTime(symbol: string, timeframe: string): number | null {
    return this.states.get(`${symbol}|${timeframe}`)?.lastCandle?.openTime ?? null;
  }

  /** The state of one series, for the API (`GET /v1/indicators/:symbol`). */
  series(symbol: string, timeframe?: string): SymbolFeatureState | null {
    if (timeframe) return this.states.get(`${symbol}|${timeframe}`) ?? null;
    for (const s of this.states.values()) if (s.symbol === symbol) return s;
    return null;
  }

  /** Runs one or more ticks; see the file comment for the order of work. */
  async process(batches: readonly CandleBatch[]): Promise<TickOutput[]> {
    if (this.pendingModel) {
      const { model } = this.pendingModel;
      this.pendingModel = null;
      await this.batcher.setModel(model?.predictor ?? null);
      this.model = model;
    }
    if (this.pendingWeights) {
      this.weights = this.pendingWeights;
      this.pendingWeights = null;
    }
    const started = performance.now();
    const model = this.model;
    const weights = this.weights;
    const ticks: Pending[][] = [];
    let windowCount = 0;

    // Step 1: features, and each model window copied out before the ring moves on.
    for (const batch of batches) {
      const pending: Pending[] = [];
      for (const candle of batch.candles) {
        const state = this.stateFor(candle);
        const last = state.lastCandle;
        if (last && candle.openTime <= last.openTime) continue; // already seen (restart over a replay)
        const values = state.update(candle);
        if (!state.indicators.isReady) {
          pending.push({ candle, state, values, consensus: null, summary: null, windowRow: -1, latest: null });
          continue;
        }
        let windowRow = -1;
        if (modelDecides(model, state)) {
          windowRow = windowCount++;
          const width = this.windowSize * model.pipeline.width;
          this.ensureWindowCapacity(windowCount * width);
          state.window(model.pipeline, this.windows, windowRow * width);
        }
        const latest = windowRow >= 0 ? state.latestTransformed() : null;
        pending.push({ candle, state, values, consensus: state.consensus(weights), summary: state.summary(), windowRow, latest });
      }
      ticks.push(pending);
    }

    // Step 2 for all ticks at once: one batched predict across symbols and time.
    const probabilities =
      model && windowCount > 0
        ? await this.batcher.predictMany(this.windows.subarray(0, windowCount * this.windowSize * model.pipeline.width))
        : null;
    const perTickMs = (performance.now() - started) / Math.max(1, batches.length);

    // Steps 3-5, tick by tick, so outcomes see exactly the signals of earlier ticks.
    const out: TickOutput[] = [];
    for (let t = 0; t < batches.length; t++) {
      const batch = batches[t]!;
      const resolved: ResolvedSignal[] = [];
      for (const p of ticks[t]!) resolved.push(...this.tracker.onCandle(p.candle));
      const signals: PredictionRecord[] = [];
      for (const p of ticks[t]!) {
        if (!p.consensus) continue; // indicators still warming up
        const fromModel = model !== null && p.windowRow >= 0 && probabilities !== null;
        signals.push(
          decide({
            candle: p.candle,
            indicators: p.values,
            consensus: p.consensus,
            summary: p.summary,
            answer: fromModel ? { model, probabilities: probabilitiesAt(probabilities, p.windowRow), latest: p.latest } : null,
            weights,
            barrier: this.opts.barrier,
            clock: this.opts.clock,
            processingTimeMs: perTickMs,
            predictionType: this.opts.predictionType ?? 'SIGNAL',
          }),
        );
      }
      signals.sort((a, b) => compareCursors(cursorOf(a), cursorOf(b)));
      for (const s of signals) this.tracker.track(s);
      out.push({ closeTime: batch.closeTime, candles: batch.candles, signals, resolved });
    }
    return out;
  }

  /**
   * One signal for a series outside the tick loop (POST /v1/predict), by the same decision as a
   * tick. It reads the model a tick would use now (one set by setModel counts from this call), and
   * the window and everything else it needs synchronously before its one await: the model's
   * predict, through the engine's bounded batcher unless the model is not swapped in yet.
   */
  async signalFor(state: SymbolFeatureState, timeframe: Timeframe, predictionType: PredictionType): Promise<PredictionRecord> {
    const started = performance.now();
    const bar = state.lastCandle!;
    const values = state.values!;
    const weights = this.weights;
    const consensus = state.consensus(weights)!;
    const summary = state.summary();
    const model = this.pendingModel ? this.pendingModel.model : this.model;
    const decides = modelDecides(model, state);
    const window = decides ? state.window(model.pipeline) : null;
    const latest = decides ? state.latestTransformed() : null;
    const candle: Candle = { symbol: state.symbol, timeframe, ...bar };
    let answer: ModelAnswer | null = null;
    if (decides) {
      // A model waiting for the next tick's swap is not in the batcher yet: it answers directly.
      const probabilities = model === this.model ? await this.batcher.submit(window!) : probabilitiesAt(await model.predictor.predict(window!, 1), 0);
      answer = { model, probabilities, latest };
    }
    return decide({ candle, indicators: values, consensus, summary, answer, weights, barrier: this.opts.barrier, clock: this.opts.clock, processingTimeMs: performance.now() - started, predictionType });
  }

  async stop(): Promise<void> {
    await this.batcher.stop();
  }

  private stateFor(c: Candle): SymbolFeatureState {
    const key = `${c.symbol}|${c.timeframe}`;
    let state = this.states.get(key);
    if (!state) this.states.set(key, (state = new SymbolFeatureState(c.symbol, { windowSize: this.windowSize })));
    return state;
  }

  private ensureWindowCapacity(n: number): void {
    if (this.windows.length >= n) return;
    const next = new Float32Array(Math.max(n, this.windows.length * 2));
    next.set(this.windows);
    this.windows = next;
  }
}
