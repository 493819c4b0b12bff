/**
 * The delivery queue with the webhook kind against a real HTTP receiver on loopback: exactly once
 * with valid signatures, nothing lost across an outage of the receiver or a restart of the sink,
 * refusals and exhausted retries dead-lettered and counted, Retry-After honoured, the queue bound.
 */
import { mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log.ts';
import { registry } from '../../../src/metrics.ts';
import { QueuedSink } from '../../../src/signals/sinks/queued-sink.ts';
import { parseSinks, type SinkEntry } from '../../../src/signals/sinks/sinks-file.ts';
import { WebhookTransport } from '../../../src/signals/sinks/webhook.ts';
import { makeSignal, Receiver, signalEvent, validSignature } from './fixtures.ts';

const log = createLogger({ level: 'silent', pretty: false });
const SECRET = 'a-webhook-secret-of-some-length';
const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function webhookSpec(url: string, extra: Record<string, unknown> = {}): Extract<SinkEntry, { kind: 'webhook' }> {
  const spec = parseSinks({ sinks: [{ name: 'hook', kind: 'webhook', url, secret: SECRET, retry: { base_ms: 20, cap_ms: 200 }, ...extra }] }).sinks[0]!;
  return spec as Extract<SinkEntry, { kind: 'webhook' }>;
}

function sinkFor(spec: Extract<SinkEntry, { kind: 'webhook' }>, dataDir: string): QueuedSink {
  const sink = new QueuedSink({ spec, transport: new WebhookTransport(spec), dataDir, log });
  cleanup.push(() => sink.stop());
  return sink;
}

async function setup(extra: Record<string, unknown> = {}) {
  const receiver = await new Receiver().start();
  cleanup.push(() => receiver.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-sink-'));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const spec = webhookSpec(receiver.url, extra);
  return { receiver, dataDir, spec };
}

/** A sink metric's value for sink "hook" (and `reason` when given), from the process registry. */
async function metric(name: string, reason?: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  const values = (await m!.get()).values as { value: number; labels: Record<string, string> }[];
  return values.filter((v) => v.labels.sink === 'hook' && (reason === undefined || v.labels.reason === reason)).reduce((n, v) => n + v.value, 0);
}

const ids = (r: Receiver) => r.requests.map((q) => (JSON.parse(q.body) as { id: string }).id);

describe('QueuedSink + webhook', () => {
  it('delivers every BUY/SELL once, in order, signed, with the event headers; HOLD only when asked', async () => {
    const { receiver, dataDir, spec } = await setup();
    const sink = sinkFor(spec, dataDir);
    await sink.start();
    const signals = Array.from({ length: 12 }, (_, i) => makeSignal(i, i % 3 === 2 ? { predicted_direction: 'HOLD' } : {}));
    sink.publish(signals.map(signalEvent));
    const expected = signals.filter((s) => s.predicted_direction !== 'HOLD').map((s) => s.id);
    await vi.waitFor(() => expect(sink.status().delivered).toBe(expected.length), { timeout: 5_000 });
    expect(ids(receiver)).toEqual(expected);
    expect(await metric('sink_delivered_total')).toBeGreaterThanOrEqual(expected.length);
    for (const r of receiver.requests) {
      expect(validSignature(SECRET, r)).toBe(true);
      const body = JSON.parse(r.body) as { type: string; id: string; data: { id: string } };
      expect(r.headers['x-signalbase-event']).toBe('signal');
      expect(r.headers['x-signalbase-id']).toBe(body.id);
      expect(r.headers['idempotency-key']).toBe(body.id);
      expect(body.data.id).toBe(body.id);
    }
    expect(validSignature('another-secret-entirely', receiver.requests[0]!)).toBe(false);
    expect(sink.status()).toMatchObject({ state: 'ok', queueDepth: 0, failed: 0, deadLetters: 0 });
  });

  it('loses nothing while the receiver is down, and delivers each event once when it is back', async () => {
    const { receiver, dataDir, spec } = await setup();
    const port = receiver.port;
    await receiver.stop();
    const sink = sinkFor(spec, dataDir);
    await sink.start();
    const signals = Array.from({ length: 20 }, (_, i) => makeSignal(i));
    sink.publish(signals.map(signalEvent));
    // The outage: attempts fail with network errors until the receiver is back on its port.
    await vi.waitFor(() => expect(sink.status().failed).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    expect(sink.status()).toMatchObject({ state: 'degraded', delivered: 0, queueDepth: 20 });
    expect(sink.status().lastError).toMatch(/^network: /);
    await receiver.start(port);
    await vi.waitFor(() => expect(sink.status().delivered).toBe(20), { timeout: 10_000 });
    expect(ids(receiver)).toEqual(signals.map((s) => s.id));
    expect(sink.status()).toMatchObject({ state: 'ok', deadLetters: 0 });
  });

  it('keeps undelivered events journaled across a restart and delivers them once after it; a torn last line is dropped', async () => {
    const { receiver, dataDir, spec } = await setup();
    receiver.answer = (_r, res) => res.writeHead(503).end();
    const first = sinkFor(spec, dataDir);
    await first.start();
    const signals = Array.from({ length: 6 }, (_, i) => makeSignal(i));
    first.publish(signals.slice(0, 2).map(signalEvent));
    receiver.answer = (_r, res) => res.writeHead(200).end();
    await vi.waitFor(() => expect(first.status().delivered).toBe(2), { timeout: 5_000 });
    receiver.answer = (_r, res) => res.writeHead(503).end();
    first.publish(signals.slice(2).map(signalEvent));
    await vi.waitFor(() => expect(first.status().failed).toBeGreaterThanOrEqual(1), { timeout: 5_000 });
    await first.stop(100);
    expect(first.status()).toMatchObject({ state: 'stopped', queueDepth: 4 });
    // A crash in the middle of a write leaves half a line.
    appendFileSync(join(dataDir, 'sinks', 'hook', 'queue.ndjson'), '{"seq":99,"at":1,"event":{"type":"sig');
    receiver.requests.length = 0;
    receiver.answer = (_r, res) => res.writeHead(200).end();
    const second = sinkFor(spec, dataDir);
    expect(second.status().queueDepth).toBe(4);
    await second.start();
    await vi.waitFor(() => expect(second.status().delivered).toBe(4), { timeout: 5_000 });
    expect(ids(receiver)).toEqual(signals.slice(2).map((s) => s.id));
  });

  it('dead-letters a 4xx at once and a failing receiver after max_attempts, and counts them', async () => {
    const { receiver, dataDir, spec } = await setup({ retry: { base_ms: 5, cap_ms: 20, max_attempts: 3 } });
    receiver.answer = (r, res) => res.writeHead((JSON.parse(r.body) as { id: string }).id === 'sig-0' ? 422 : 500).end('nope');
    const sink = sinkFor(spec, dataDir);
    await sink.start();
    const before = { dead: await metric('sink_dead_letters_total'), server: await metric('sink_failed_total', 'server_error'), client: await metric('sink_failed_total', 'client_error') };
    sink.publish([0, 1, 2, 3].map((i) => signalEvent(makeSignal(i))));
    await vi.waitFor(() => expect(sink.status().deadLetters).toBe(4), { timeout: 5_000 });
    expect(await metric('sink_dead_letters_total')).toBe(before.dead + 4);
    expect(await metric('sink_failed_total', 'server_error')).toBe(before.server + 9);
    expect(await metric('sink_failed_total', 'client_error')).toBe(before.client + 1);
    expect(await metric('sink_queue_depth')).toBe(0);
    expect(ids(receiver).filter((id) => id === 'sig-0')).toHaveLength(1);
    for (const id of ['sig-1', 'sig-2', 'sig-3']) expect(ids(receiver).filter((x) => x === id)).toHaveLength(3);
    expect(sink.status()).toMatchObject({ delivered: 0, failed: 10, queueDepth: 0 });
    const dead = readFileSync(join(dataDir, 'sinks', 'hook', 'dead-letters.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; event: { id: string } });
    expect(dead.map((d) => [d.event.id, d.reason])).toEqual([
      ['sig-0', 'client_error'],
      ['sig-1', 'server_error'],
      ['sig-2', 'server_error'],
      ['sig-3', 'server_error'],
    ]);
  });

  it('waits what Retry-After asks before trying again', async () => {
    const { receiver, dataDir, spec } = await setup();
    const at: number[] = [];
    receiver.answer = (_r, res) => {
      at.push(Date.now());
      if (at.length === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.writeHead(204).end();
    };
    const sink = sinkFor(spec, dataDir);
    await sink.start();
    sink.publish([signalEvent(makeSignal(0))]);
    await vi.waitFor(() => expect(sink.status().delivered).toBe(1), { timeout: 5_000 });
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1_000);
  });

  it('drops the oldest waiting events beyond max_depth, counted as overflow', async () => {
    const { receiver, dataDir, spec } = await setup({ queue: { max_depth: 5 } });
    await receiver.stop();
    const sink = sinkFor(spec, dataDir);
    sink.publish(Array.from({ length: 12 }, (_, i) => signalEvent(makeSignal(i))));
    expect(sink.status()).toMatchObject({ queueDepth: 5, dropped: 7, failed: 7 });
    await sink.stop();
    const reopened = sinkFor(spec, dataDir);
    expect(reopened.status().queueDepth).toBe(5);
  });
});

describe('QueuedSink dedupe', () => {
  it('skips an event id it already took, in this run or journaled by the last one', async () => {
    const { receiver, dataDir, spec } = await setup();
    const first = sinkFor(spec, dataDir);
    await first.start();
    first.publish([0, 1, 1].map((i) => signalEvent(makeSignal(i))));
    first.publish([signalEvent(makeSignal(0))]);
    await vi.waitFor(() => expect(first.status().delivered).toBe(2), { timeout: 5_000 });
    await first.stop();
    const second = sinkFor(spec, dataDir);
    await second.start();
    second.publish([1, 2].map((i) => signalEvent(makeSignal(i)))); // a restart recomputing sig-1
    await vi.waitFor(() => expect(second.status().delivered).toBe(1), { timeout: 5_000 });
    expect(ids(receiver)).toEqual(['sig-0', 'sig-1', 'sig-2']);
  });
});
