import { SignalbaseError } from '../domain/errors.ts';

/**
 * A candle reached an indicator set out of time order. Ingest rejects such candles at the edge, so
 * this is an invariant breach in the caller, not bad market data: the indicator state is unchanged.
 */
export class CandleOrderError extends SignalbaseError {
  constructor(symbol: string | undefined, openTime: number, lastOpenTime: number) {
    super(
      'CANDLE_OUT_OF_ORDER',
      `candle ${new Date(openTime).toISOString()} for ${symbol ?? 'unknown symbol'} is not after the last one ` +
        `(${new Date(lastOpenTime).toISOString()}); feed closed candles in time order, once each`,
      { context: { symbol, openTime, lastOpenTime } },
    );
  }
}

/**
 * A feature list, scaler or weight snapshot does not fit the columns it is used with (unknown column,
 * mismatched lengths, non-finite statistics). Raised when a model's metadata is loaded, never mid-stream.
 */
export class FeatureSpecError extends SignalbaseError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('FEATURES_INVALID', message, { context });
  }
}
