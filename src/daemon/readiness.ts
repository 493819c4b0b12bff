/**
 * GET /readyz for the daemon: ready when the store answers, its schema was migrated at start, the
 * feed has not failed, the outbox is not degraded, and the engine can signal (with a model or the
 * rule consensus, which is always available). Otherwise 503 with one reason per failing check,
 * written for the operator who reads it.
 */
import { describeError } from '../errors.ts';
import type { SourceStatus } from '../ingest/source.ts';
import type { Readiness } from '../serve/types.ts';
import type { OutboxHealth } from '../store/outbox/index.ts';

export interface ReadinessProbe {
  /** The daemon's phase: only 'running' (and 'replay ended', still serving) can be ready. */
  phase: () => string;
  ping: () => Promise<void>;
  schemaCurrent: () => boolean;
  feed: () => { status: SourceStatus; error: Error | undefined } | null;
  outbox: () => OutboxHealth | null;
  /** Timeout of the store ping. */
  pingTimeoutMs?: number;
}

export async function checkReadiness(p: ReadinessProbe): Promise<Readiness> {
  const reasons: string[] = [];
  const phase = p.phase();
  if (phase !== 'running') reasons.push(`daemon is ${phase}`);
  try {
    await withTimeout(p.ping(), p.pingTimeoutMs ?? 2_000);
  } catch (err) {
    reasons.push(`store unreachable: ${describeError(err)}`);
  }
  if (!p.schemaCurrent()) reasons.push('store schema not migrated');
  const feed = p.feed();
  if (!feed) reasons.push('feed not started');
  else if (feed.status === 'failed') reasons.push(`feed failed: ${feed.error ? describeError(feed.error) : 'unknown error'}`);
  const outbox = p.outbox();
  if (!outbox || outbox.state === 'not_started') reasons.push('outbox not started');
  else if (outbox.degraded) {
    const since = outbox.failingSince === null ? '' : ` for ${Math.round((Date.now() - outbox.failingSince) / 1000)} s`;
    reasons.push(`outbox degraded: store writes failing${since} (${outbox.depth} pending, kept in the journal)`);
  }
  return { ready: reasons.length === 0, reasons };
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
