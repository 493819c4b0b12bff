/**
 * Typed errors. Callers branch on `instanceof` or `code`, never on message text.
 * `retryable` tells adapters and the outbox whether trying again can help.
 * The base class lives in domain/errors.ts so the domain floor can throw typed errors too.
 */
import { SignalbaseError } from './domain/errors.ts';

/** Bad configuration or bad command-line usage: the process exits with code 2. */
export class ConfigError extends SignalbaseError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('CONFIG_INVALID', message, { context });
  }
}

/** The store could not be reached or refused the operation. */
export class StoreError extends SignalbaseError {}

/** Migrations could not be applied (changed checksum, newer schema, failed statement). */
export class MigrationError extends SignalbaseError {}

/** Exit code for an error escaping a command: 2 for usage/configuration, 1 for everything else. */
export function exitCodeFor(err: unknown): 1 | 2 {
  return err instanceof ConfigError ? 2 : 1;
}

/** One line for a human: the message, with the cause's message when it adds something. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && !err.message.includes(cause) ? `${err.message} (${cause})` : err.message;
}
