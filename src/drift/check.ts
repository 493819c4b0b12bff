/**
 * One drift check, as a pure function (DESIGN.md "Drift"): the model's reference, the recent feature
 * vectors, predictions and resolved outcomes, and the thresholds in; every score, per-feature detail
 * and the verdict out. No I/O, no clock: the monitor (monitor.ts) and `signalbase drift check` feed it.
 *
 * Data drift: per model feature, the two-sample KS test and PSI (the reference's 10 quantile bins)
 * of the recent values against the reference sample. A feature drifts when KS p < α/k (Bonferroni
 * over the k tested features) or when PSI ≥ 0.2 AND the PSI is beyond its own sampling noise
 * (psiPValue < α/k). The data drifts when at least half the tested features drift.
 *
 * Autocorrelation (the trap): consecutive candles' indicator values are strongly dependent (an EMA
 * distance at t and t+1 share most of their inputs; the synthetic and real markets have volatility
 * regimes lasting ~100 candles), so 500 recent values carry far less information than 500
 * independent draws. Treated as independent, KS rejects and PSI exceeds 0.2 on stationary data in
 * most checks (measured: 118 and 159 of 200 on the synthetic training regime, 20 and 4 symbols;
 * tests/drift/false-alarms.test.ts prints both). Both tests
 * therefore use effective sample sizes n_eff = n / τ, where τ is the integrated autocorrelation time
 * (stats.ts, Geyer's initial positive sequence) of the indicator series 1{x_t > median}: KS and PSI
 * are functionals of the empirical CDF, and the variance of an ECDF value grows with the
 * autocorrelation of exactly that indicator. τ is pooled over the series (symbols) of the window,
 * deviations taken around the pooled share, and computed the same way for the reference sample.
 * tests/drift/false-alarms.test.ts measures the rate on 200 stationary checks.
 *
 * Prediction drift: PSI of the predicted class mix (3 bins) and of the confidence (the reference's
 * quantile bins), with the same noise guard (n_eff of the confidence series).
 * Performance drift: performance.ts.
 *
 * Status: 'no_reference' (the model carries none), 'insufficient_data' (fewer than minVectors
 * recent vectors, or fewer than half the features testable: constant in the window or in the
 * reference), else 'drift' or 'ok'. Neither of the first two ever raises an alarm.
 */
import { INDICATOR_COLUMNS } from '../domain/indicators.ts';
import type { Direction } from '../domain/prediction.ts';
import { performanceDrift, type OutcomeSample, type PerformanceDrift } from './performance.ts';
import type { ModelReference } from './reference.ts';
import {
  binCounts,
  bonferroni,
  innerEdges,
  integratedAutocorrelationTime,
  ksPValueAsymptotic,
  ksStatistic,
  proportions,
  psi,
  psiPValue,
  sortedFinite,
} from './stats.ts';

const COLS = INDICATOR_COLUMNS.length;

export interface DriftThresholds {
  /** Family-wise level of the per-feature KS and PSI-noise tests (Bonferroni over the features). */
  alpha: number;
  /** Feature PSI at or above which a feature may drift (with the noise guard). */
  psi: number;
  /** Share of tested features that must drift for data drift. */
  featureShare: number;
  /** Class-mix or confidence PSI at or above which predictions drift (with the noise guard). */
  predictionPsi: number;
  /** Fewer recent vectors than this: insufficient data. */
  minVectors: number;
  /** Resolved outcomes needed before performance may alarm. */
  minOutcomes: number;
  /** Absolute drop of accuracy / win rate below the test figure that counts as degraded. */
  accuracyDrop: number;
  winRateDrop: number;
}

export const DEFAULT_THRESHOLDS: DriftThresholds = {
  alpha: 0.05,
  psi: 0.2,
  featureShare: 0.5,
  predictionPsi: 0.2,
  minVectors: 100,
  minOutcomes: 50,
  accuracyDrop: 0.1,
  winRateDrop: 0.1,
};

/** Recent transformed feature rows (all 17 columns, domain/indicators.ts order), oldest first, with their series. */
export interface RecentVectors {
  rows: number;
  /** rows × 17. */
  values: Float64Array;
  /** Per row: which series (symbol) it came from, any stable small integer. */
  series: Int32Array;
}

export interface PredictionSample {
  series: number;
  direction: Direction;
  confidence: number;
}

export interface DriftInput {
  model: ModelReference;
  vectors: RecentVectors;
  predictions: readonly PredictionSample[];
  outcomes: readonly OutcomeSample[];
  thresholds?: Partial<DriftThresholds>;
}

export interface FeatureDrift {
  feature: string;
  status: 'tested' | 'constant';
  n: number;
  nEff: number;
  refEff: number;
  psi: number | null;
  psiP: number | null;
  ksD: number | null;
  ksP: number | null;
  drifted: boolean;
}

export interface PredictionDrift {
  drifted: boolean;
  n: number;
  nEff: number;
  mix: Record<Direction, number>;
  classMixPsi: number;
  classMixP: number;
  confidencePsi: number | null;
  confidenceP: number | null;
}

export type DriftKind = 'data' | 'prediction' | 'performance';

export interface DriftResult {
  modelVersion: string;
  status: 'ok' | 'drift' | 'insufficient_data' | 'no_reference';
  driftDetected: boolean;
  /** Which components drifted, in this order. */
  drifted: DriftKind[];
  scores: { data: number | null; prediction: number | null; performance: number | null; overall: number | null };
  features: FeatureDrift[];
  data: { tested: number; driftedCount: number; share: number; drifted: boolean } | null;
  prediction: PredictionDrift | null;
  performance: PerformanceDrift | null;
  vectors: number;
  /** One sentence: what drifted, or why nothing could be said. */
  summary: string;
  thresholds: DriftThresholds;
}

/** Runs one check. Never throws on data (bad input gives a status, not an exception). */
export function checkDrift(input: DriftInput): DriftResult {
  const t: DriftThresholds = { ...DEFAULT_THRESHOLDS, ...input.thresholds };
  const { model, vectors } = input;
  const base = { modelVersion: model.version, vectors: vectors.rows, thresholds: t, features: [] as FeatureDrift[], data: null, prediction: null, performance: null };
  const nothing = { data: null, prediction: null, performance: null, overall: null };
  if (!model.reference) {
    return { ...base, status: 'no_reference', driftDetected: false, drifted: [], scores: nothing, summary: `model ${model.version} carries no drift reference (trained before references existed): retrain to get one` };
  }
  if (vectors.rows < t.minVectors) {
    return { ...base, status: 'insufficient_data', driftDetected: false, drifted: [], scores: nothing, summary: `${vectors.rows} recent feature vectors, ${t.minVectors} needed` };
  }
  const features = Object.keys(model.reference.features.samples).filter((f) => INDICATOR_COLUMNS.includes(f as never));
  const alpha = bonferroni(t.alpha, Math.max(1, features.length));
  const results = features.map((f) => featureDrift(f, model.reference!.features.samples[f]!, model.reference!.features.edges[f] ?? [], vectors, alpha, t));
  const tested = results.filter((r) => r.status === 'tested');
  if (tested.length * 2 < features.length || tested.length === 0) {
    return { ...base, features: results, status: 'insufficient_data', driftDetected: false, drifted: [], scores: nothing, summary: `only ${tested.length} of ${features.length} features vary in the window and the reference` };
  }
  const driftedCount = tested.filter((r) => r.drifted).length;
  const share = driftedCount / tested.length;
  const data = { tested: tested.length, driftedCount, share, drifted: share >= t.featureShare };
  const prediction = predictionDrift(model.reference.predictions ?? null, input.predictions, t);
  const performance = performanceDrift(input.outcomes, model.test, t);

  const drifted: DriftKind[] = [];
  if (data.drifted) drifted.push('data');
  if (prediction?.drifted) drifted.push('prediction');
  if (performance?.drifted) drifted.push('performance');
  const predictionScore = prediction ? Math.max(prediction.classMixPsi, prediction.confidencePsi ?? 0) : null;
  const performanceScore = performance?.score ?? null;
  // Overall: the largest component score as a multiple of its own threshold (≥ 1: a magnitude crossed).
  const overall = Math.max(share / t.featureShare, (predictionScore ?? 0) / t.predictionPsi, (performanceScore ?? 0) / Math.min(t.accuracyDrop, t.winRateDrop));
  return {
    ...base,
    features: results,
    data,
    prediction,
    performance,
    status: drifted.length > 0 ? 'drift' : 'ok',
    driftDetected: drifted.length > 0,
    drifted,
    scores: { data: share, prediction: predictionScore, performance: performanceScore, overall },
    summary: summarize(drifted, data, prediction, performance),
  };
}

function summarize(drifted: DriftKind[], data: NonNullable<DriftResult['data']>, prediction: PredictionDrift | null, performance: PerformanceDrift | null): string {
  if (drifted.length === 0) return `no drift: ${data.driftedCount} of ${data.tested} features drifted`;
  const parts: string[] = [];
  if (data.drifted) parts.push(`data drift (${data.driftedCount} of ${data.tested} features)`);
  if (prediction?.drifted) parts.push(`prediction drift (class-mix PSI ${prediction.classMixPsi.toFixed(2)}, confidence PSI ${prediction.confidencePsi?.toFixed(2) ?? 'n/a'})`);
  if (performance?.drifted) parts.push(`performance drift (${performance.reason})`);
  return parts.join('; ');
}

/** n / τ of the recent values of one column, grouped by series, τ from the median-indicator series. */
function effectiveSize(groups: number[][]): number {
  const all = groups.flat();
  if (all.length === 0) return 0;
  const median = Float64Array.from(all).sort()[all.length >> 1]!;
  let above = 0;
  const indicators = groups.map((g) => g.map((x) => (x > median ? (above++, 1) : 0)));
  return Math.max(1, all.length / integratedAutocorrelationTime(indicators, above / all.length));
}

const refCache = new WeakMap<number[], { sorted: Float64Array; eff: number; constant: boolean }>();

/** The reference sample's sorted values and effective size, computed once per reference array. */
function referenceStats(sample: number[]): { sorted: Float64Array; eff: number; constant: boolean } {
  let s = refCache.get(sample);
  if (!s) {
    const sorted = sortedFinite(sample);
    const constant = sorted.length === 0 || sorted[0] === sorted[sorted.length - 1];
    s = { sorted, eff: constant ? 0 : effectiveSize([sample]), constant };
    refCache.set(sample, s);
  }
  return s;
}

function columnBySeries(vectors: RecentVectors, col: number): number[][] {
  const bySeries = new Map<number, number[]>();
  for (let r = 0; r < vectors.rows; r++) {
    const v = vectors.values[r * COLS + col]!;
    if (!Number.isFinite(v)) continue;
    const s = vectors.series[r]!;
    let g = bySeries.get(s);
    if (!g) bySeries.set(s, (g = []));
    g.push(v);
  }
  return [...bySeries.values()];
}

function featureDrift(feature: string, sample: number[], edges: number[], vectors: RecentVectors, alpha: number, t: DriftThresholds): FeatureDrift {
  const groups = columnBySeries(vectors, INDICATOR_COLUMNS.indexOf(feature as never));
  const recent = sortedFinite(groups.flat());
  const ref = referenceStats(sample);
  const n = recent.length;
  if (ref.constant || n < 2 || recent[0] === recent[n - 1]) {
    return { feature, status: 'constant', n, nEff: n, refEff: ref.eff, psi: null, psiP: null, ksD: null, ksP: null, drifted: false };
  }
  const nEff = effectiveSize(groups);
  const ksD = ksStatistic(recent, ref.sorted);
  const ksP = ksPValueAsymptotic(ksD, nEff, ref.eff);
  const bins = innerEdges(edges).length + 1;
  const value = bins >= 2 ? psi(proportions(binCounts(ref.sorted, edges)), proportions(binCounts(recent, edges))) : null;
  const psiP = value === null ? null : psiPValue(value, bins, nEff, ref.eff);
  const drifted = ksP < alpha || (value !== null && value >= t.psi && psiP! < alpha);
  return { feature, status: 'tested', n, nEff, refEff: ref.eff, psi: value, psiP, ksD, ksP, drifted };
}

const DIRECTIONS: readonly Direction[] = ['BUY', 'SELL', 'HOLD'];

function predictionDrift(ref: NonNullable<ModelReference['reference']>['predictions'] | null, recent: readonly PredictionSample[], t: DriftThresholds): PredictionDrift | null {
  if (!ref || ref.samples === 0 || recent.length < t.minVectors) return null;
  const counts = DIRECTIONS.map((d) => recent.filter((p) => p.direction === d).length);
  const mix = proportions(counts);
  const refMix = DIRECTIONS.map((d) => ref.classMix[d]);
  const groups = new Map<number, number[]>();
  for (const p of recent) {
    let g = groups.get(p.series);
    if (!g) groups.set(p.series, (g = []));
    g.push(p.confidence);
  }
  const nEff = effectiveSize([...groups.values()]);
  const refConf = referenceStats(ref.confidence);
  const refEff = refConf.constant ? ref.samples : refConf.eff;
  const classMixPsi = psi(refMix, mix);
  const classMixP = psiPValue(classMixPsi, 3, nEff, refEff);
  let confidencePsi: number | null = null;
  let confidenceP: number | null = null;
  const bins = innerEdges(ref.confidenceEdges).length + 1;
  if (!refConf.constant && bins >= 2) {
    confidencePsi = psi(proportions(binCounts(refConf.sorted, ref.confidenceEdges)), proportions(binCounts(recent.map((p) => p.confidence), ref.confidenceEdges)));
    confidenceP = psiPValue(confidencePsi, bins, nEff, refEff);
  }
  const level = t.alpha / 2; // two tests (class mix, confidence): Bonferroni
  const drifted = (classMixPsi >= t.predictionPsi && classMixP < level) || (confidencePsi !== null && confidencePsi >= t.predictionPsi && confidenceP! < level);
  return {
    drifted,
    n: recent.length,
    nEff,
    mix: { BUY: mix[0]!, SELL: mix[1]!, HOLD: mix[2]! },
    classMixPsi,
    classMixP,
    confidencePsi,
    confidenceP,
  };
}
