/**
 * The promotion gate (DESIGN.md "Models"): a new model becomes active only if it beats the
 * always-HOLD baseline on macro F1 (strictly) AND its profit factor is at least the active model's
 * on the same test window. With no active model only the first condition applies. Pure: the caller
 * evaluates the active model on the new model's test window and records `reason`.
 */
import type { ModelMetrics } from '../store/types.ts';

export interface GateInput {
  candidate: Pick<ModelMetrics, 'f1Macro' | 'profitFactor'>;
  alwaysHold: Pick<ModelMetrics, 'f1Macro'>;
  /** The active model's figures on the same test window; null/undefined when none is active. */
  active?: Pick<ModelMetrics, 'profitFactor'> | null;
}

export interface GateDecision {
  pass: boolean;
  reason: string;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

export function promotionGate(g: GateInput): GateDecision {
  const f1 = g.candidate.f1Macro;
  const holdF1 = g.alwaysHold.f1Macro;
  const beatsHold = f1 > holdF1;
  const f1Part = beatsHold
    ? `macro F1 ${fmt(f1)} beats always-HOLD ${fmt(holdF1)}`
    : `macro F1 ${fmt(f1)} does not beat always-HOLD ${fmt(holdF1)}`;
  if (!g.active) {
    return { pass: beatsHold, reason: `${f1Part}; no active model to compare profit factor with` };
  }
  const pf = g.candidate.profitFactor;
  const activePf = g.active.profitFactor;
  const pfOk = pf >= activePf;
  const pfPart = pfOk
    ? `profit factor ${fmt(pf)} >= active model's ${fmt(activePf)}`
    : `profit factor ${fmt(pf)} < active model's ${fmt(activePf)}`;
  return { pass: beatsHold && pfOk, reason: `${f1Part}; ${pfPart}` };
}
