/**
 * The fold plan of `signalbase backtest --walk-forward train=7d,test=1d[,step=1d][,purge=auto]`.
 *
 * Fold k (k = 0, 1, ...): training candles in [t0 + k·step, t0 + k·step + train), then a purge gap,
 * then the test window [train end + purge, train end + purge + test). `purge=auto` is the barrier
 * horizon (horizon × timeframe): a training sample's label reads at most that far ahead, and the
 * training set only labels samples whose horizon lies inside the training candles, so with the gap
 * no candle of the test window ever reached a training label or feature. `step` defaults to `test`
 * (test windows tile the time axis). Only folds whose whole test window lies within the data are
 * planned; a partial last day is left out rather than scored on fewer candles.
 */
import { ConfigError } from '../errors.ts';

export interface WalkForwardPlan {
  trainMs: number;
  testMs: number;
  stepMs: number;
  /** null: auto (the barrier horizon). */
  purgeMs: number | null;
}

export interface Fold {
  index: number;
  train: { from: number; to: number };
  test: { from: number; to: number };
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

function duration(key: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)([mhdw])$/.exec(v.trim());
  if (!m) throw new ConfigError(`--walk-forward ${key}=${v}: expected a duration such as 7d, 12h or 30m`);
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  if (!(ms > 0)) throw new ConfigError(`--walk-forward ${key}=${v}: must be positive`);
  return ms;
}

export function parseWalkForward(spec: string): WalkForwardPlan {
  const parts = new Map<string, string>();
  for (const p of spec.split(',')) {
    const [k, v, extra] = p.split('=');
    if (!k || v === undefined || extra !== undefined) throw new ConfigError(`--walk-forward: "${p}" is not key=value (train=7d,test=1d[,step=1d][,purge=auto])`);
    if (!['train', 'test', 'step', 'purge'].includes(k)) throw new ConfigError(`--walk-forward: unknown key "${k}" (train, test, step, purge)`);
    parts.set(k, v);
  }
  if (!parts.has('train') || !parts.has('test')) throw new ConfigError('--walk-forward needs train= and test= (e.g. train=7d,test=1d)');
  const testMs = duration('test', parts.get('test')!);
  const purge = parts.get('purge') ?? 'auto';
  return {
    trainMs: duration('train', parts.get('train')!),
    testMs,
    stepMs: parts.has('step') ? duration('step', parts.get('step')!) : testMs,
    purgeMs: purge === 'auto' ? null : purge === '0' ? 0 : duration('purge', purge),
  };
}

/** Folds over candles whose open times run from `first` to `last` (inclusive), with `purgeMs` resolved. */
export function planFolds(plan: WalkForwardPlan, first: number, last: number, purgeMs: number, candleMs: number): Fold[] {
  const folds: Fold[] = [];
  for (let k = 0; ; k++) {
    const trainFrom = first + k * plan.stepMs;
    const trainTo = trainFrom + plan.trainMs;
    const testFrom = trainTo + purgeMs;
    const testTo = testFrom + plan.testMs;
    if (testTo > last + candleMs) break;
    folds.push({ index: k, train: { from: trainFrom, to: trainTo }, test: { from: testFrom, to: testTo } });
  }
  return folds;
}
