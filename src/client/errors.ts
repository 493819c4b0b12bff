/**
 * The client's one error type. `code` is stable: UNAUTHORIZED and FORBIDDEN are fatal (the key is
 * wrong; retrying cannot help), the others are retryable or informational. Server error frames
 * keep the server's code (RESUME_GAP, UNKNOWN_SINCE, INVALID_SYMBOL, ...).
 */
import { SignalbaseError } from '../domain/errors.ts';

export type ClientErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'HTTP_ERROR'
  | 'CONNECT_FAILED'
  | 'CONNECTION_LOST'
  | 'STALE_CONNECTION'
  | 'BAD_FRAME'
  | 'CALLBACK_FAILED'
  | 'CHANNEL_ERROR'
  | 'JOIN_TIMEOUT'
  | 'SERVER_ERROR'
  | 'INVALID_OPTIONS'
  | (string & {});

export class SignalClientError extends SignalbaseError {
  declare readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, opts: { retryable?: boolean; context?: Record<string, unknown>; cause?: unknown } = {}) {
    super(code, message, opts);
  }

  /** Retrying the connection cannot help: stop. */
  get fatal(): boolean {
    return this.code === 'UNAUTHORIZED' || this.code === 'FORBIDDEN';
  }
}
