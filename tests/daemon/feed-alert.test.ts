/**
 * A feed outage in a running daemon (in-process, real embedded store, the fake Binance of
 * tests/helpers/fake-exchange.ts on virtual time) reaches an alert webhook as one `feed_down` alert
 * and one resolution, however many times the condition is checked (every 50 ms here): the
 * connections drop, the next subscriptions are refused, and once the daemon has seen the loss two
 * 5-minute candles close (the virtual clock moves 10 min, past feed_down_minutes 5); then the feed
 * reconnects and backfills.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { Daemon } from '../../src/daemon.ts';
import { SAMPLE_DATA_DIR } from '../../src/ingest/feed-spec.ts';
import { feedConnected } from '../../src/ingest/metrics.ts';
import { readReplayFile } from '../../src/ingest/replay-file.ts';
import { createLogger } from '../../src/log.ts';
import type { AlertData } from '../../src/signals/sinks/sink.ts';
import { FakeExchange } from '../helpers/fake-exchange.ts';
import { Receiver } from '../signals/sinks/fixtures.ts';
import { dataDirFrom, migratedTemplate, removeDir, tempDir } from './helpers.ts';

const SYMBOLS = ['LTC/BTC', 'XLM/BTC'];
const log = createLogger({ level: 'silent', pretty: false });
const dirs: string[] = [];
let exchange: FakeExchange;
let receiver: Receiver;
let data: string;

beforeAll(async () => {
  const template = await migratedTemplate();
  data = dataDirFrom(template);
  dirs.push(template, data);
  const series = Object.fromEntries(
    await Promise.all(SYMBOLS.map(async (s) => [s, (await readReplayFile(`${SAMPLE_DATA_DIR}${s.replace('/', '_')}-5m.json`, { log })).slice(0, 300)] as const)),
  );
  exchange = await FakeExchange.start({ series, timeframe: '5m' });
  receiver = await new Receiver().start();
}, 240_000);

afterAll(async () => {
  await exchange?.stop();
  await receiver?.stop();
  for (const d of dirs) removeDir(d);
});

it('a feed outage longer than feed_down_minutes: one alert, one resolution', async () => {
  const dir = tempDir('alert-sinks');
  dirs.push(dir);
  const file = join(dir, 'sinks.yaml');
  writeFileSync(file, `sinks:\n  - name: pager\n    kind: webhook\n    url: ${receiver.url}\n    secret: a-pager-secret-value\n    events: [alert]\nalerts:\n  feed_down_minutes: 5\n  check_seconds: 0.05\n`);
  const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent', TFJS_BACKEND: 'wasm', SINKS_FILE: file });
  for (let i = 0; i < 200; i++) exchange.tick({ send: false });
  const d = new Daemon(config, log, { feed: `binance:${exchange.wsBase},rest=${exchange.restBase}`, symbols: SYMBOLS, timeframe: '5m', port: 0, host: '127.0.0.1', clock: exchange.clock, trainer: null });
  try {
    await d.start();
    // Streaming: the history backfilled (REST may leave out the candle closing at this very instant).
    await vi.waitFor(() => expect(d.engine!.lastOpenTime('LTC/BTC', '5m') ?? 0).toBeGreaterThanOrEqual(exchange.openTime(exchange.cursor - 2)), { timeout: 60_000, interval: 20 });
    await vi.waitFor(async () => expect((await feedConnected.get()).values[0]?.value).toBe(1), { timeout: 30_000, interval: 10 });
    const feedAlerts = () => receiver.requests.map((r) => (JSON.parse(r.body) as { data: AlertData }).data).filter((a) => a.condition === 'feed_down');

    exchange.refuseNextSubscriptions(2);
    exchange.dropConnections();
    // The daemon has seen the loss (feed_connected drops to 0 as the status turns reconnecting).
    await vi.waitFor(async () => expect((await feedConnected.get()).values[0]?.value).toBe(0), { timeout: 30_000, interval: 10 });
    exchange.tick();
    exchange.tick(); // 10 virtual minutes without a connection
    await vi.waitFor(() => expect(feedAlerts().map((a) => a.state)).toContain('firing'), { timeout: 30_000, interval: 20 });
    await vi.waitFor(() => expect(feedAlerts().map((a) => a.state)).toEqual(['firing', 'resolved']), { timeout: 60_000, interval: 20 });
    for (let i = 0; i < 3; i++) exchange.tick(); // streaming again: more checks, nothing more to say
    await vi.waitFor(() => expect(d.engine!.lastOpenTime('LTC/BTC', '5m') ?? 0).toBeGreaterThanOrEqual(exchange.openTime(exchange.cursor - 2)), { timeout: 30_000, interval: 20 });
    expect(feedAlerts()).toHaveLength(2);
    expect(feedAlerts()[0]).toMatchObject({ subject: 'binance', severity: 'critical' });
  } finally {
    await d.stop();
  }
}, 300_000);
