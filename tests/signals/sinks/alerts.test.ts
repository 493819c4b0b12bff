/**
 * Alerts end to end through a real webhook sink: a feed outage (driven by the feed's status and a
 * virtual clock) and a drift alarm (drift reports as the drift monitor publishes them) each reach
 * the receiver as one firing and one resolved alert, however often the condition is looked at.
 * Dead letters, the outbox and the model gate follow the same once-then-resolved rule, and it holds
 * across a restart: the firing conditions are kept in <dataDir>/sinks/alerts-state.json (0600).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SourceStatus } from '../../../src/ingest/source.ts';
import { createLogger } from '../../../src/log.ts';
import { AlertWatcher } from '../../../src/signals/sinks/alert-watch.ts';
import { AlertManager, onDriftReport, onModelEvent } from '../../../src/signals/sinks/alerts.ts';
import { alertingTrainer, DaemonAlerts, loadFileSinks } from '../../../src/signals/sinks/daemon-sinks.ts';
import { QueuedSink } from '../../../src/signals/sinks/queued-sink.ts';
import type { AlertData, SinkEvent } from '../../../src/signals/sinks/sink.ts';
import { parseSinks, type SinkEntry } from '../../../src/signals/sinks/sinks-file.ts';
import { WebhookTransport } from '../../../src/signals/sinks/webhook.ts';
import { Receiver } from './fixtures.ts';

const log = createLogger({ level: 'silent', pretty: false });
const ALERTS = parseSinks({}).alerts; // feed_down_minutes 5, outbox_stuck_minutes 5, dead_letter_quiet_minutes 15
const MIN = 60_000;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function pagerSink(url: string, dataDir: string): QueuedSink {
  const spec = parseSinks({ sinks: [{ name: 'pager', kind: 'webhook', url, secret: 'x'.repeat(20), events: ['alert'] }] }).sinks[0] as Extract<SinkEntry, { kind: 'webhook' }>;
  const sink = new QueuedSink({ spec, transport: new WebhookTransport(spec), dataDir, log });
  cleanup.push(() => sink.stop());
  return sink;
}

async function alertHook() {
  const receiver = await new Receiver().start();
  cleanup.push(() => receiver.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-alerts-'));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const sink = pagerSink(receiver.url, dataDir);
  await sink.start();
  let now = Date.UTC(2024, 0, 1);
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const alerts = new AlertManager({ publish: (e: SinkEvent[]) => sink.publish(e), log, now: clock.now });
  const received = () => receiver.requests.map((r) => (JSON.parse(r.body) as { id: string; data: AlertData }));
  return { receiver, sink, alerts, clock, received };
}

describe('alerts', () => {
  it('a feed outage: one critical alert after feed_down_minutes, one resolution when it streams again', async () => {
    const { sink, alerts, clock, received } = await alertHook();
    let status: SourceStatus = 'streaming';
    const watcher = new AlertWatcher(alerts, { feed: () => ({ kind: 'binance', status }) }, ALERTS, log, clock.now);
    await watcher.check();
    status = 'reconnecting';
    for (let i = 0; i < 4; i++) {
      clock.advance(MIN);
      await watcher.check(); // 1..4 min down: not yet
    }
    expect(alerts.firing()).toEqual([]);
    for (let i = 0; i < 30; i++) {
      clock.advance(MIN / 2);
      await watcher.check(); // 4.5..19 min down: one alert, not one per check
    }
    status = 'streaming';
    for (let i = 0; i < 5; i++) {
      clock.advance(MIN);
      await watcher.check();
    }
    await vi.waitFor(() => expect(sink.status()).toMatchObject({ queueDepth: 0, delivered: received().length }), { timeout: 5_000 });
    const got = received();
    expect(got.map((r) => [r.data.condition, r.data.subject, r.data.severity, r.data.state])).toEqual([
      ['feed_down', 'binance', 'critical', 'firing'],
      ['feed_down', 'binance', 'critical', 'resolved'],
    ]);
    // First seen down by the check at minute 1; fired by the first check 5 min after that.
    expect(got[0]!.data.at - Date.UTC(2024, 0, 1)).toBe(6 * MIN);
    expect(got[1]!.id).toBe(`${got[0]!.id}:resolved`);
  });

  it('a drift alarm: one alert while checks keep alarming, one resolution at the first check without drift', async () => {
    const { sink, alerts, clock, received } = await alertHook();
    const report = (drift: boolean) => ({ model_version: 'v20240101-000000', drift_detected: drift, status: drift ? 'DRIFT' : 'OK', summary: drift ? 'data drift in rsi_value (PSI 0.31)' : 'all within thresholds' });
    for (const drift of [false, true, true, true, true, false, false]) {
      clock.advance(60 * MIN); // checks an hour apart: a repeated alert would carry a new id, which the sink would not dedupe
      onDriftReport(alerts, report(drift));
    }
    // Everything published is queued synchronously: once the queue is empty the receiver has it all.
    await vi.waitFor(() => expect(sink.status()).toMatchObject({ queueDepth: 0, delivered: received().length }), { timeout: 5_000 });
    expect(received().map((r) => [r.data.condition, r.data.subject, r.data.state])).toEqual([
      ['drift_detected', 'v20240101-000000', 'firing'],
      ['drift_detected', 'v20240101-000000', 'resolved'],
    ]);
    expect(received()[0]!.data.message).toContain('rsi_value');
  });

  it('dead letters alert once per burst and clear after the quiet period; the outbox after outbox_stuck_minutes', async () => {
    let dead = 3;
    let outbox = { state: 'idle' };
    const seen: AlertData[] = [];
    let now = 0;
    const alerts = new AlertManager({ publish: (e) => seen.push(...e.map((x) => x.data as AlertData)), log, now: () => now });
    const watcher = new AlertWatcher(alerts, { deadLetters: () => ({ hook: dead }), outbox: () => outbox }, ALERTS, log, () => now);
    await watcher.check(); // baseline: 3 from an earlier run do not alert
    dead = 5;
    now += MIN;
    await watcher.check();
    dead = 6;
    now += MIN;
    await watcher.check();
    outbox = { state: 'retrying' };
    for (let i = 0; i < 20; i++) {
      now += MIN;
      await watcher.check();
    }
    outbox = { state: 'draining' };
    now += MIN;
    await watcher.check();
    expect(seen.map((a) => [a.condition, a.subject, a.state, a.at / MIN])).toEqual([
      ['dead_letters', 'hook', 'firing', 1],
      ['outbox_stuck', '', 'firing', 8], // retrying since minute 3
      ['dead_letters', 'hook', 'resolved', 17], // 15 quiet minutes after the last new one (minute 2)
      ['outbox_stuck', '', 'resolved', 23],
    ]);
  });

  it('model gate and retraining: refused fires until a promotion, a failed training until one succeeds', async () => {
    const seen: AlertData[] = [];
    const alerts = new AlertManager({ publish: (e) => seen.push(...e.map((x) => x.data as AlertData)), log });
    onModelEvent(alerts, { event: 'trained', version: 'v2', reason: 'accuracy 0.41 below the active 0.47' });
    onModelEvent(alerts, { event: 'activated', version: 'v1' });
    onModelEvent(alerts, { event: 'trained_and_activated', version: 'v3', reason: 'passed' });
    let fail = true;
    const trainer = alertingTrainer(async () => {
      if (fail) throw new Error('out of memory');
      return { version: 'v4' };
    }, () => alerts);
    const signal = new AbortController().signal;
    await expect(trainer({ signal, reason: 'cron' })).rejects.toThrow('out of memory');
    await expect(trainer({ signal, reason: 'cron' })).rejects.toThrow('out of memory');
    fail = false;
    await trainer({ signal, reason: 'cron' });
    expect(seen.map((a) => [a.condition, a.subject, a.severity, a.state])).toEqual([
      ['model_refused', 'v2', 'warning', 'firing'],
      ['model_refused', 'v2', 'warning', 'resolved'],
      ['model_promoted', 'v3', 'info', 'firing'],
      ['retrain_failed', '', 'critical', 'firing'],
      ['retrain_failed', '', 'critical', 'resolved'],
    ]);
  });

  it('across a restart: a condition still holding is not alerted again, one that cleared meanwhile resolves once', async () => {
    const receiver = await new Receiver().start();
    cleanup.push(() => receiver.stop());
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-alerts-restart-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    let now = Date.UTC(2024, 0, 1);
    const clock = { now: () => now };
    const spec = { ...ALERTS, check_seconds: 3600 }; // the test calls check() itself
    const drift = (detected: boolean) => ({ model_version: 'v1', drift_detected: detected, summary: detected ? 'PSI 0.4' : 'ok' });
    let status: SourceStatus = 'streaming';
    const source = { kind: 'binance', get status() { return status; }, onStatus: () => undefined };
    const outbox = { health: () => ({ state: 'idle', deadLetters: 0 }) };
    const elector = { onChange: () => undefined };

    /** One daemon run: its sink (journal in dataDir), the alerts over it, the state file SINKS_FILE's loader names. */
    const run = async () => {
      const sink = pagerSink(receiver.url, dataDir);
      await sink.start();
      const { alertState } = loadFileSinks(undefined, { dataDir, log, clock });
      const alerts = new DaemonAlerts({ spec, publish: (e) => sink.publish(e), sinkStatus: () => [], clock, log, statePath: alertState });
      alerts.attach({ worker: 'w1', elector, source, outbox });
      const check = async (n: number) => {
        for (let i = 0; i < n; i++) {
          now += MIN;
          await alerts.check();
        }
      };
      return { sink, alerts, check };
    };

    const first = await run();
    status = 'reconnecting';
    first.alerts.feedStatus('reconnecting');
    await first.check(10); // 10 min down: fires once
    onDriftReport(first.alerts.manager, drift(true));
    await vi.waitFor(() => expect(first.sink.status().delivered).toBe(2), { timeout: 5_000 });
    first.alerts.stop();
    await first.sink.stop();
    expect(statSync(join(dataDir, 'sinks', 'alerts-state.json')).mode & 0o777).toBe(0o600);

    // The restart: the feed is still down, the drift cleared while the daemon was away.
    const second = await run();
    expect(second.alerts.manager.firing().map((a) => a.condition).sort()).toEqual(['drift_detected', 'feed_down']);
    await second.check(10); // still down for 10 more checks: no second alert
    onDriftReport(second.alerts.manager, drift(false));
    onDriftReport(second.alerts.manager, drift(false));
    status = 'streaming';
    await second.check(3);
    await vi.waitFor(() => expect(second.sink.status().delivered).toBe(2), { timeout: 5_000 });
    second.alerts.stop();
    await second.sink.stop();

    const got = receiver.requests.map((r) => JSON.parse(r.body) as { id: string; data: AlertData });
    expect(got.map((r) => [r.data.condition, r.data.state])).toEqual([
      ['feed_down', 'firing'],
      ['drift_detected', 'firing'],
      ['drift_detected', 'resolved'],
      ['feed_down', 'resolved'],
    ]);
    expect(got[2]!.id).toBe(`${got[1]!.id}:resolved`);
    expect(got[3]!.id).toBe(`${got[0]!.id}:resolved`);

    // A third run finds nothing open.
    const third = await run();
    expect(third.alerts.manager.firing()).toEqual([]);
    third.alerts.stop();
  });
});
