/**
 * THE rules-or-model choice for one candle's signal, shared by the live engine (a tick) and the
 * HTTP API (POST /v1/predict): the active model decides when it reads this series' window (the
 * window is full and as long as the model's), with the model's probabilities; otherwise the
 * weighted rule consensus does (model_version "rules"). Either way policy.ts turns the
 * probabilities into the signal.
 */
import type { BarrierParams } from '../domain/barrier.ts';
import type { Candle } from '../domain/candle.ts';
import type { Clock } from '../domain/clock.ts';
import type { Direction, PredictionRecord, PredictionType } from '../domain/prediction.ts';
import type { IndicatorValues } from '../domain/indicators.ts';
import type { ConsensusResult } from '../features/consensus.ts';
import type { FeaturePipeline } from '../features/pipeline.ts';
import type { TechnicalSummary } from '../features/summary.ts';
import type { IndicatorWeights } from '../features/weights.ts';
import type { WindowPredictor } from '../model/batcher.ts';
import { RULES_MODEL_VERSION, decideSignal, rulesProbabilities, type Selection } from './policy.ts';

/** A model ready to serve: its version, the pipeline that encodes its input, and its predictor. */
export interface EngineModel {
  version: string;
  pipeline: FeaturePipeline;
  predictor: WindowPredictor;
  /** Its selective rule (model/selective.ts); null/absent: MODEL_THRESHOLDS. */
  selection?: Selection | null;
}

/** Whether `model` decides the series' signal: its window is full and as long as the model reads (else the rules do). */
export function modelDecides(model: EngineModel | null, series: { isReady: boolean; windowSize: number }): model is EngineModel {
  return model !== null && series.isReady && model.predictor.timesteps === series.windowSize;
}

/** The model's answer for one candle's window; absent when the rules decide. */
export interface ModelAnswer {
  model: EngineModel;
  probabilities: Record<Direction, number>;
  /** The candle's transformed row (what the model saw last), recorded with the signal. */
  latest: Float32Array | null;
}

export interface DecisionInput {
  candle: Candle;
  indicators: IndicatorValues;
  consensus: ConsensusResult;
  summary: TechnicalSummary | null;
  answer: ModelAnswer | null;
  weights: IndicatorWeights;
  barrier: BarrierParams;
  clock: Clock;
  processingTimeMs: number;
  predictionType: PredictionType;
}

export function decide(i: DecisionInput): PredictionRecord {
  const a = i.answer;
  return decideSignal({
    candle: i.candle,
    indicators: i.indicators,
    probabilities: a ? a.probabilities : rulesProbabilities(i.consensus),
    modelVersion: a ? a.model.version : RULES_MODEL_VERSION,
    selection: a ? (a.model.selection ?? null) : null,
    weights: i.weights,
    barrier: i.barrier,
    clock: i.clock,
    processingTimeMs: i.processingTimeMs,
    predictionType: i.predictionType,
    consensus: i.consensus,
    summary: i.summary,
    inputFeatures: a
      ? { features: a.model.pipeline.features, timesteps: a.model.predictor.timesteps, latest: Array.from(a.latest ?? []) }
      : { features: 'rules' },
  });
}
