/**
 * `run --once` exits 0 only when the store took every write (issue 20, fault 5): a replay that
 * ends while the store is unreachable leaves rows in the outbox journal, and a zero exit would tell
 * a script the replay is stored. This turns what stayed journaled into the run's fatal error, naming
 * the rows per operation and the journal's directory; the same command run again applies them.
 */
import { SignalbaseError } from '../domain/errors.ts';
import type { Outbox } from '../store/outbox/index.ts';

/** After outbox.stop(): an error naming what is still journaled, or undefined when all was applied. */
export function unflushedError(outbox: Pick<Outbox, 'unflushed'>): SignalbaseError | undefined {
  const left = outbox.unflushed();
  if (left.rows === 0) return undefined;
  const what = Object.entries(left.byOp)
    .map(([op, n]) => `${n} ${op}`)
    .join(', ');
  return new SignalbaseError(
    'OUTBOX_NOT_FLUSHED',
    `--once: ${left.rows} store write(s) are still journaled in ${left.journal} (${what}); the store did not take them before the stop deadline. Run the same command again once the store is reachable: it applies them first`,
    { context: { rows: left.rows, byOp: left.byOp, journal: left.journal } },
  );
}
