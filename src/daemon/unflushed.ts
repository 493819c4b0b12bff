/**
 * `run --once` exits 0 only when the store took every write (issue 20, fault 5): a replay that
 * ends while the store is unreachable leaves rows in the outbox journal, and a zero exit would tell
 * a script the replay is stored. This turns what stayed journaled into the run's fatal error, naming
 * the rows per operation and the journal's directory; the same command run again applies them.
 * When the store's last error was a full disk (the embedded store's files on a full SIGNALBASE_DATA_DIR,
 * or a server's SQLSTATE 53100: "No space left on device"), the message says ENOSPC and where.
 */
import { SignalbaseError } from '../domain/errors.ts';
import type { Outbox } from '../store/outbox/index.ts';

/** After outbox.stop(): an error naming what is still journaled, or undefined when all was applied. */
export function unflushedError(outbox: Pick<Outbox, 'unflushed' | 'health'>, storeLocation?: string): SignalbaseError | undefined {
  const left = outbox.unflushed();
  if (left.rows === 0) return undefined;
  const what = Object.entries(left.byOp)
    .map(([op, n]) => `${n} ${op}`)
    .join(', ');
  const last = outbox.health().lastError;
  const diskFull = last !== null && /no space left on device|ENOSPC/i.test(last.message);
  const why = diskFull
    ? `the store's disk is full (ENOSPC${storeLocation ? ` under ${storeLocation}` : ''}: ${last.message}). Free space, then run the same command again: it applies them first`
    : `the store did not take them before the stop deadline${last ? ` (last error: ${last.message})` : ''}. Run the same command again once the store is reachable: it applies them first`;
  return new SignalbaseError('OUTBOX_NOT_FLUSHED', `--once: ${left.rows} store write(s) are still journaled in ${left.journal} (${what}); ${why}`, {
    context: { rows: left.rows, byOp: left.byOp, journal: left.journal, ...(diskFull ? { errno: 'ENOSPC', storeLocation } : {}) },
  });
}
