/**
 * Outbox metrics on the process registry. Depth and oldest age are read from the running outboxes
 * when /metrics is scraped; label values are operation names and fixed failure kinds.
 */
import { Counter, Gauge } from 'prom-client';
import { registry } from '../../metrics.ts';

export interface OutboxGaugeSource {
  depth(): number;
  oldestAgeSeconds(): number;
  /** Rows held in memory (at most maxInMemory; the rest wait in the journal). */
  inMemory(): number;
}

/** Running outboxes (normally one), for the collected gauges. */
export const liveOutboxes = new Set<OutboxGaugeSource>();

export const outboxDepth = new Gauge({
  name: 'outbox_depth',
  help: 'Store writes journaled and not yet applied',
  registers: [registry],
  collect() {
    let sum = 0;
    for (const o of liveOutboxes) sum += o.depth();
    this.set(sum);
  },
});

export const outboxInMemory = new Gauge({
  name: 'outbox_in_memory_rows',
  help: 'Store writes held in memory (bounded; the rest of the backlog waits in the journal)',
  registers: [registry],
  collect() {
    let sum = 0;
    for (const o of liveOutboxes) sum += o.inMemory();
    this.set(sum);
  },
});

export const outboxOldestAge = new Gauge({
  name: 'outbox_oldest_age_seconds',
  help: 'Age of the oldest store write not yet applied (0 when none)',
  registers: [registry],
  collect() {
    let max = 0;
    for (const o of liveOutboxes) max = Math.max(max, o.oldestAgeSeconds());
    this.set(max);
  },
});

export const outboxWriteFailures = new Counter({
  name: 'outbox_write_failures_total',
  help: 'Failed store calls by operation and kind (retryable: retried with backoff; systemic: non-retryable but not row-specific, retried; poison: row-specific, isolated)',
  labelNames: ['op', 'kind'] as const,
  registers: [registry],
});

export const outboxDeadLetters = new Counter({
  name: 'outbox_dead_letters_total',
  help: 'Entries the store refused for good, moved to the dead-letter file',
  labelNames: ['op'] as const,
  registers: [registry],
});

export const outboxApplied = new Counter({
  name: 'outbox_applied_total',
  help: 'Entries applied to the store, by operation',
  labelNames: ['op'] as const,
  registers: [registry],
});

export const outboxJournalCorrupt = new Counter({
  name: 'outbox_journal_corrupt_lines_total',
  help: 'Journal lines that could not be read back (torn tail after a crash, or damage) and were skipped',
  registers: [registry],
});
