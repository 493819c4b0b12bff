/**
 * HTTP-facing errors. An ApiError carries its status and a stable `code`; every error that reaches
 * a response is turned into one by toApiError, so the wire always sees {"error":{"code","message"}}.
 *
 * The daemon signals predict failures with its own typed errors; their `code` decides the status
 * (UnknownSymbolError, NotReadyError and InvalidCandlesError below are ready-made ones).
 */
import { SignalbaseError } from '../domain/errors.ts';
import { StoreError } from '../errors.ts';

export class ApiError extends SignalbaseError {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    opts: { headers?: Record<string, string>; context?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, message, { context: opts.context ?? {}, cause: opts.cause });
    this.status = status;
    this.headers = opts.headers ?? {};
  }
}

/** The symbol is not one this daemon tracks → 404. */
export class UnknownSymbolError extends SignalbaseError {
  constructor(symbol: string) {
    super('UNKNOWN_SYMBOL', `unknown symbol ${JSON.stringify(symbol)}: not tracked by this instance (check SYMBOLS and SHARD)`, {
      context: { symbol },
    });
  }
}

/** The pipeline cannot answer yet (warming up, no store) → 503. */
export class NotReadyError extends SignalbaseError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('NOT_READY', message, { retryable: true, context });
  }
}

/** Candles given to predict are unusable (misaligned, impossible prices, too few) → 400. */
export class InvalidCandlesError extends SignalbaseError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('INVALID_CANDLES', message, { context });
  }
}

/** Status for errors that are not ApiErrors, by their stable code. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  UNKNOWN_SYMBOL: 404,
  NOT_READY: 503,
  INVALID_CANDLES: 400,
  INVALID_INPUT: 400,
};

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof SignalbaseError) {
    const status = STATUS_BY_CODE[err.code];
    if (status !== undefined) return new ApiError(status, err.code, err.message, { cause: err });
    if (err instanceof StoreError) {
      return new ApiError(503, 'STORE_UNAVAILABLE', 'the store is unavailable; try again shortly', { cause: err });
    }
  }
  return new ApiError(500, 'INTERNAL', 'internal error; the server log has the details', { cause: err });
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
