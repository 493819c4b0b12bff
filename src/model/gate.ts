/**
 * The promotion gate (DESIGN.md "Models"). Over the new model's test window a candidate becomes
 * active only if all three hold:
 *   1. it beats the always-HOLD baseline on macro F1 (strictly);
 *   2. its profit factor is at least the incumbent's on the same window: the incumbent is what
 *      serves now, the active model, or the rule consensus when no model is active;
 *   3. it beats doing nothing after fees: its net expectancy (mean net P/L per trade, both fees
 *      included) has a one-sided 95% Student-t lower bound above zero, over at least MIN_GATE_TRADES
 *      trades (expectancy.ts). Always-HOLD trades nothing and loses nothing; a model that cannot
 *      show it earns more than that is refused, not activated HOLD-only.
 * A refused model stays 'trained' with `reason` recorded (every condition in words, passed or not).
 * Pure: the caller scores the incumbent on the candidate's test window.
 */
import type { ModelMetrics } from '../store/types.ts';
import type { ExpectancyBound } from './expectancy.ts';

/** Fewer trades than this on the test window cannot show a positive expectancy. */
export const MIN_GATE_TRADES = 30;

export interface GateIncumbent {
  /** 'rules' for the rule consensus, else the active model's version. */
  version: string;
  profitFactor: number;
}

export interface GateInput {
  candidate: Pick<ModelMetrics, 'f1Macro' | 'profitFactor'>;
  alwaysHold: Pick<ModelMetrics, 'f1Macro'>;
  /** What serves now, scored on the same test window; null when it could not be scored. */
  incumbent: GateIncumbent | null;
  /** The candidate's net expectancy on the test window (expectancyBound of its trade returns). */
  expectancy: ExpectancyBound;
  minTrades?: number;
}

export interface GateDecision {
  pass: boolean;
  reason: string;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));
const pct = (x: number) => (Number.isFinite(x) ? `${x.toFixed(4)}%` : String(x));

export function promotionGate(g: GateInput): GateDecision {
  const parts: string[] = [];
  const f1 = g.candidate.f1Macro;
  const holdF1 = g.alwaysHold.f1Macro;
  const beatsHold = f1 > holdF1;
  parts.push(beatsHold ? `macro F1 ${fmt(f1)} beats always-HOLD ${fmt(holdF1)}` : `macro F1 ${fmt(f1)} does not beat always-HOLD ${fmt(holdF1)}`);

  let pfOk = true;
  const pf = g.candidate.profitFactor;
  if (g.incumbent) {
    const who = g.incumbent.version === 'rules' ? "the rule consensus's (serving, no active model)" : `active model ${g.incumbent.version}'s`;
    pfOk = pf >= g.incumbent.profitFactor;
    parts.push(`profit factor ${fmt(pf)} ${pfOk ? '>=' : '<'} ${who} ${fmt(g.incumbent.profitFactor)}`);
  } else {
    parts.push('what serves could not be scored, so no profit factor to compare with');
  }

  const e = g.expectancy;
  const minTrades = g.minTrades ?? MIN_GATE_TRADES;
  const conf = `${Math.round(e.confidence * 100)}%`;
  let expOk: boolean;
  if (e.trades < minTrades) {
    expOk = false;
    parts.push(`${e.trades} trades, fewer than the ${minTrades} needed to show a net expectancy above always-HOLD's 0`);
  } else {
    expOk = e.lower > 0;
    parts.push(
      `net expectancy ${pct(e.mean)} per trade after fees over ${e.trades} trades, one-sided ${conf} lower bound ${pct(e.lower)} ` +
        (expOk ? '> 0 (beats always-HOLD)' : '<= 0 (not above always-HOLD with that confidence)'),
    );
  }
  return { pass: beatsHold && pfOk && expOk, reason: parts.join('; ') };
}
