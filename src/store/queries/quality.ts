/** Signal quality: the live scorecard (get_signal_scorecard) and recorded backtests (ml_backtests). */
import type { RpcCtx } from './common.ts';

export interface ScorecardQuery {
  modelVersion?: string | null;
  symbol?: string | null;
  days?: number | null;
}

/** One row of get_signal_scorecard(): a (model version, symbol) pair, '*' for "all". */
export interface ScorecardRow {
  model_version: string;
  symbol: string;
  signals: number;
  resolved: number;
  trades: number;
  hit_rate: number | null;
  mean_pnl_pct: number | null;
  mean_pnl_ci_low: number | null;
  mean_pnl_ci_high: number | null;
  profit_factor: number | string | null;
  max_drawdown_pct: number | null;
  total_pnl_pct: number | null;
  brier: number | null;
  ece: number | null;
  calibration: Array<{ from: number; to: number; count: number; confidence: number; win_rate: number }>;
  first_signal: string | null;
  last_signal: string | null;
}

export interface NewBacktest {
  kind: 'walk_forward';
  feed: string;
  seed: number | null;
  /** The --json document. */
  result: Record<string, unknown>;
}

/** A row of ml_backtests as the dashboard reads it (sb_list_backtests). */
export interface BacktestRecord {
  id: string;
  kind: 'walk_forward';
  feed: string;
  seed: number | null;
  /** The --json document (cli/walk-forward.ts walkForwardJson). */
  result: Record<string, unknown>;
  durationMs: number | null;
  createdAt: number;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());

/** bigint counts arrive as strings over some drivers, numeric text over PostgREST: numbers here; a profit factor with no loss stays "Infinity". */
function scorecardRow(r: Record<string, unknown>): ScorecardRow {
  const pf = num(r.profit_factor);
  return {
    model_version: String(r.model_version),
    symbol: String(r.symbol),
    signals: Number(r.signals),
    resolved: Number(r.resolved),
    trades: Number(r.trades),
    hit_rate: num(r.hit_rate),
    mean_pnl_pct: num(r.mean_pnl_pct),
    mean_pnl_ci_low: num(r.mean_pnl_ci_low),
    mean_pnl_ci_high: num(r.mean_pnl_ci_high),
    profit_factor: pf === null ? null : Number.isFinite(pf) ? pf : String(pf),
    max_drawdown_pct: num(r.max_drawdown_pct),
    total_pnl_pct: num(r.total_pnl_pct),
    brier: num(r.brier),
    ece: num(r.ece),
    calibration: (typeof r.calibration === 'string' ? JSON.parse(r.calibration) : (r.calibration ?? [])) as ScorecardRow['calibration'],
    first_signal: iso(r.first_signal),
    last_signal: iso(r.last_signal),
  };
}

export async function scorecard({ rpc }: RpcCtx, q: ScorecardQuery = {}): Promise<ScorecardRow[]> {
  const rows = await rpc.rows<Record<string, unknown>>('get_signal_scorecard', {
    p_model_version: q.modelVersion ?? null,
    p_symbol: q.symbol ?? null,
    p_days: q.days ?? null,
  });
  return rows.map(scorecardRow);
}

export async function insertBacktest({ rpc }: RpcCtx, b: NewBacktest): Promise<string> {
  return rpc.value<string>('sb_insert_backtest', { p_row: { kind: b.kind, feed: b.feed, seed: b.seed, result: b.result } });
}

/** The newest `limit` recorded backtests, newest first. */
export async function listBacktests({ rpc }: RpcCtx, limit: number): Promise<BacktestRecord[]> {
  const rows = await rpc.rows<Record<string, unknown>>('sb_list_backtests', { p_limit: limit });
  return rows.map((r) => ({
    id: String(r.id),
    kind: r.kind as BacktestRecord['kind'],
    feed: String(r.feed),
    seed: num(r.seed),
    result: (typeof r.result === 'string' ? JSON.parse(r.result) : r.result) as Record<string, unknown>,
    durationMs: num(r.duration_ms),
    createdAt: new Date(r.created_at as string).getTime(),
  }));
}
