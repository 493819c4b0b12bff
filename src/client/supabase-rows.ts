/**
 * Supabase Realtime rows → the client's wire shapes. A postgres_changes record is a table row as
 * JSON (realtime-js has already converted numbers and jsonb by the `columns` types); these
 * functions check it at the edge and give consumers exactly what the daemon's stream sends.
 *
 * predictionRowToSignal is the one mapping from an ml_predictions row to a Signal. It mirrors the
 * store's row → PredictionRecord (src/store/queries/predictions.ts toRecord) followed by
 * src/domain/signal.ts toSignal, including their defaults for nullable columns, so a signal
 * read from Realtime equals the one the daemon published (tests/client/supabase-rows.test.ts
 * checks that against toSignal on rows written by the real store).
 */
import { z } from 'zod';
import type { DriftUpdate, ModelUpdate, Signal, SignalOutcome, WeightUpdate } from './types.ts';

/** A row that is not what the table holds: reported (BAD_FRAME) and dropped, never delivered. */
export class BadRowError extends Error {
  override readonly name = 'BadRowError';
}

const PG_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * A timestamptz as Realtime or to_jsonb writes it ('2018-01-20T10:05:00+00:00',
 * '2018-01-20 10:05:00.123456+00', ...) → ISO 8601 in UTC with milliseconds, as the daemon
 * writes its times. A time without an offset is read as UTC (timestamptz output always has one).
 */
export function pgTimestampToIso(value: string): string {
  const m = PG_TIMESTAMP.exec(value.trim());
  if (!m) throw new BadRowError(`'${value}' is not a timestamp`);
  const [, date, time, zone] = m;
  let offset = zone ?? 'Z';
  if (offset !== 'Z') offset = offset.length === 3 ? `${offset}:00` : offset.includes(':') ? offset : `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const ms = Date.parse(`${date}T${time}${offset}`);
  if (!Number.isFinite(ms)) throw new BadRowError(`'${value}' is not a valid time`);
  return new Date(ms).toISOString();
}

const num = z.number().finite();
const jsonObject = z.record(z.string(), z.unknown());
const timestamp = z.string().transform((s, ctx) => {
  try {
    return pgTimestampToIso(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** What names a signal's row: the fields its signal and its outcome share. */
const signalKey = {
  id: z.string().min(1),
  symbol: z.string().min(1),
  timeframe: z.string().min(1),
  candle_time: timestamp,
  model_version: z.string().min(1),
  predicted_direction: z.enum(['BUY', 'SELL', 'HOLD']),
  entry_price: num,
};

const predictionRow = z.object({
  ...signalKey,
  confidence_score: num,
  probabilities: z.object({ BUY: num, SELL: num, HOLD: num }).nullish(),
  recommendation: z.enum(['STRONG_BUY', 'BUY', 'HOLD', 'SELL', 'STRONG_SELL']).nullish(),
  signal_weight: num.nullish(),
  position_multiplier: num.nullish(),
  stop_loss: num.nullish(),
  take_profit: num.nullish(),
  risk_score: num.nullish(),
  technical_indicators: jsonObject,
  prediction_timestamp: timestamp,
  market_session: z.string().nullish(),
  market_conditions: z.looseObject({ session: z.unknown().optional() }).nullish(),
});

function parse<T>(schema: z.ZodType<T>, row: unknown, what: string): T {
  const r = schema.safeParse(row);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new BadRowError(`${what}: ${issue ? `${issue.path.join('.') || 'row'} ${issue.message}` : 'invalid'}`);
}

/** An ml_predictions row (INSERT record) → the Signal the daemon published for it. */
export function predictionRowToSignal(row: unknown): Signal {
  const r = parse(predictionRow, row, 'an ml_predictions row');
  return {
    id: r.id,
    symbol: r.symbol,
    timeframe: r.timeframe as Signal['timeframe'],
    candle_time: r.candle_time,
    model_version: r.model_version,
    predicted_direction: r.predicted_direction,
    confidence_score: r.confidence_score,
    probabilities: r.probabilities ?? { BUY: 0, SELL: 0, HOLD: 0 },
    recommendation: r.recommendation ?? 'HOLD',
    signal_weight: r.signal_weight ?? 0,
    position_multiplier: r.position_multiplier ?? 0,
    entry_price: r.entry_price,
    stop_loss: r.stop_loss ?? null,
    take_profit: r.take_profit ?? null,
    risk_score: r.risk_score ?? 0,
    technical_indicators: r.technical_indicators as Signal['technical_indicators'],
    // The store keeps the signal's created_at as prediction_timestamp (created_at is the row's).
    created_at: r.prediction_timestamp,
    market_session: r.market_session ?? (typeof r.market_conditions?.session === 'string' ? r.market_conditions.session : null),
  };
}

const outcomeRow = z.object({
  ...signalKey,
  actual_outcome: z.enum(['TP_HIT', 'SL_HIT', 'EXPIRED', 'NO_TRADE']),
  actual_profit_loss: num.nullish(),
  exit_price: num.nullish(),
  outcome_timestamp: timestamp.nullish(),
});

/**
 * A resolved ml_predictions row → its outcome; null while the row has none (actual_outcome null).
 * The fields are the row's; the daemon's outcome message carries the same ones under these names
 * (src/signals/resolution.ts OutcomeMessage: profit_loss_pct is the stored actual_profit_loss).
 */
export function predictionRowToOutcome(row: unknown): SignalOutcome | null {
  if (typeof row === 'object' && row !== null && (row as Record<string, unknown>).actual_outcome == null) return null;
  const r = parse(outcomeRow, row, 'a resolved ml_predictions row');
  return {
    prediction_id: r.id,
    symbol: r.symbol,
    timeframe: r.timeframe,
    candle_time: r.candle_time,
    model_version: r.model_version,
    predicted_direction: r.predicted_direction,
    outcome: r.actual_outcome,
    entry_price: r.entry_price,
    exit_price: r.exit_price ?? null,
    profit_loss_pct: r.actual_profit_loss ?? null,
    outcome_time: r.outcome_timestamp ?? null,
  };
}

/** The ml_predictions columns a signal and its outcome are made of (what catch-up selects). */
export const PREDICTION_COLUMNS = [
  'id', 'symbol', 'timeframe', 'candle_time', 'model_version', 'predicted_direction', 'confidence_score', 'probabilities',
  'recommendation', 'signal_weight', 'position_multiplier', 'entry_price', 'stop_loss', 'take_profit', 'risk_score',
  'technical_indicators', 'prediction_timestamp', 'prediction_type', 'actual_outcome', 'actual_profit_loss', 'exit_price',
  'outcome_timestamp',
] as const;

const broadcastChange = z.looseObject({
  record: z.record(z.string(), z.unknown()),
  table: z.string(),
  schema: z.string(),
  operation: z.string(),
});

/**
 * The payload realtime.broadcast_changes sends ({record, old_record, operation, table, schema};
 * sql/20261204001100_broadcast.sql) → the ml_predictions row, or null when it is another schema's
 * (signalbase schemas sharing one project share the topic names) or another table's.
 */
export function broadcastRecord(payload: unknown, schema: string): Record<string, unknown> | null {
  const p = parse(broadcastChange, payload, 'a signal broadcast');
  if (p.schema !== schema || p.table !== 'ml_predictions') return null;
  return p.record;
}

const modelRow = z.looseObject({ model_version: z.string().min(1), model_status: z.string(), is_active: z.boolean() });

/**
 * An ml_models row → a model update. `event` follows the daemon's stream where the row says it:
 * 'activated' for an active model, else 'registered' for a new row and the status for a change.
 */
export function modelRowToUpdate(type: 'INSERT' | 'UPDATE', row: unknown): ModelUpdate {
  const r = parse(modelRow, row, 'an ml_models row');
  const event = r.is_active ? 'activated' : type === 'INSERT' ? 'registered' : r.model_status;
  return { ...r, event, version: r.model_version, status: r.model_status };
}

const weightRow = z.looseObject({ indicator_name: z.string().min(1), current_weight: num });

/** An ml_indicator_weights row → a weight update carrying `new_weights` for that indicator. */
export function weightRowToUpdate(row: unknown): WeightUpdate {
  const r = parse(weightRow, row, 'an ml_indicator_weights row');
  return { ...r, new_weights: { [r.indicator_name]: r.current_weight } };
}

const driftRow = z.looseObject({ model_version: z.string().min(1), drift_detected: z.boolean() });

/** An ml_model_drift row (one drift check) → a drift update, `version` naming the model checked. */
export function driftRowToUpdate(row: unknown): DriftUpdate {
  const r = parse(driftRow, row, 'an ml_model_drift row');
  return { ...r, version: r.model_version };
}
