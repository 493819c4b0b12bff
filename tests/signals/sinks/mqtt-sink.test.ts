/**
 * The mqtt sink against a real broker: Debian's mosquitto, started by this test on a free loopback
 * port (the test stops and restarts it, so it does not use the shared one on 1883). A subscriber
 * decodes the hummingbot preset as Hummingbot's ai_livestream controller does, from its source:
 *  - hummingbot/hummingbot controllers/directional_trading/ai_livestream.py (commit 295e36f7):
 *      topic: str = "hbot/predictions"
 *      normalized_pair = self.config.trading_pair.replace("-", "_").lower()
 *      topic = f"{self.config.topic}/{normalized_pair}/ML_SIGNALS"
 *      ExternalTopicFactory.create_async(topic=topic, callback=self._handle_ml_signal, use_bot_prefix=False)
 *      short, neutral, long = signal["probabilities"]
 *      if short > self.config.short_threshold: -1  elif long > self.config.long_threshold: 1  else: 0
 *      volatility_factor=self.processed_data["features"].get("target_pct", 0.01)
 *    with long_threshold = short_threshold = 0.5 by default;
 *  - hummingbot/hummingbot hummingbot/remote_iface/mqtt.py: ETopicListener subscribes to the topic as
 *    given when use_bot_prefix is False; the gateway subscribes with _QOS_PUBSUB = 0, matches topics
 *    segment by segment, case-sensitively, and hands the callback the JSON-decoded payload
 *    (`payload = ujson.loads(message.payload)`).
 * So the subscriber here builds its topic from the trading pair `LTC-BTC` exactly as the controller
 * does, subscribes at QoS 0, and JSON-decodes. Model and health topics are retained: a subscriber
 * that connects afterwards still gets them. With the broker down, events wait in the queue and
 * arrive once it is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../src/domain/clock.ts';
import { createLogger } from '../../../src/log.ts';
import { hummingbotTopic } from '../../../src/signals/sinks/hummingbot.ts';
import { createSinks } from '../../../src/signals/sinks/registry.ts';
import type { SignalSink } from '../../../src/signals/sinks/sink.ts';
import { parseSinks } from '../../../src/signals/sinks/sinks-file.ts';
import { freePort } from '../../helpers/daemon.ts';
import { makeSignal, signalEvent } from './fixtures.ts';

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));
const log = createLogger({ level: 'silent', pretty: false });

let broker: ChildProcess | null = null;
let port = 0;
const dataDir = mkdtempSync(join(tmpdir(), 'sb-mqtt-'));

/** mosquitto with persistence, so a subscriber's session and queued QoS 1 messages survive its restart. */
async function startBroker(): Promise<void> {
  const conf = join(dataDir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dataDir}/\n`);
  broker = spawn(MOSQUITTO!, ['-c', conf], { stdio: 'ignore' });
  await vi.waitFor(async () => {
    const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 500 });
    await c.endAsync();
  }, { timeout: 10_000, interval: 100 });
}

async function stopBroker(): Promise<void> {
  const b = broker;
  broker = null;
  if (!b || b.exitCode !== null) return;
  const exited = new Promise((resolve) => b.once('exit', resolve));
  b.kill('SIGTERM');
  await exited;
}

/** The controller's topic for its trading_pair and topic settings (AILivestreamController._init_ml_signal_listener). */
const controllerTopic = (tradingPair: string, topic = 'hbot/predictions') => `${topic}/${tradingPair.replace(/-/g, '_').toLowerCase()}/ML_SIGNALS`;

/** Decodes an ML_SIGNALS message exactly as AILivestreamController._handle_ml_signal does. */
function hummingbotDecision(payload: Buffer, shortThreshold = 0.5, longThreshold = 0.5) {
  const signal = JSON.parse(payload.toString('utf8')) as { probabilities: [number, number, number]; target_pct?: number; timestamp?: number };
  const [short, , long] = signal.probabilities;
  const decision = short > shortThreshold ? -1 : long > longThreshold ? 1 : 0;
  return { decision, volatilityFactor: signal.target_pct ?? 0.01, timestamp: signal.timestamp };
}

async function subscriber(topic: string, session?: string, qos: 0 | 1 = 1): Promise<{ client: MqttClient; got: { topic: string; payload: Buffer; retain: boolean }[] }> {
  const client = await connectAsync(`mqtt://127.0.0.1:${port}`, session ? { clientId: session, clean: false, reconnectPeriod: 200 } : { reconnectPeriod: 0 });
  const got: { topic: string; payload: Buffer; retain: boolean }[] = [];
  client.on('message', (t, payload, packet) => got.push({ topic: t, payload, retain: packet.retain }));
  await client.subscribeAsync(topic, { qos });
  return { client, got };
}

describe.skipIf(!MOSQUITTO)('mqtt sink (real mosquitto)', () => {
  let sink: SignalSink;

  beforeAll(async () => {
    port = await freePort();
    await startBroker();
    [sink] = createSinks(
      parseSinks({ sinks: [{ name: 'hbot', kind: 'mqtt', url: `mqtt://127.0.0.1:${port}`, preset: 'hummingbot', events: ['signal', 'model'], filter: { directions: ['BUY', 'SELL', 'HOLD'] }, retry: { base_ms: 50, cap_ms: 500 } }] }).sinks,
      { dataDir, log, clock: systemClock },
    ) as [SignalSink];
    await sink.start();
  }, 30_000);

  afterAll(async () => {
    await sink?.stop();
    await stopBroker();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes Hummingbot-shaped predictions that the controller turns into long, short and flat', async () => {
    // As the gateway subscribes for the controller: the exact topic, QoS 0 (_QOS_PUBSUB).
    const sub = await subscriber(controllerTopic('LTC-BTC'), undefined, 0);
    const buy = makeSignal(0, { probabilities: { BUY: 0.71, SELL: 0.09, HOLD: 0.2 } });
    const sell = makeSignal(1, { probabilities: { BUY: 0.1, SELL: 0.62, HOLD: 0.28 } });
    const hold = makeSignal(2, { predicted_direction: 'HOLD', recommendation: 'HOLD', probabilities: { BUY: 0.3, SELL: 0.25, HOLD: 0.45 } });
    const before = sink.status().delivered;
    sink.publish([buy, sell, hold].map(signalEvent));
    await vi.waitFor(() => expect(sub.got).toHaveLength(3), { timeout: 10_000 });
    expect(sink.status().delivered - before).toBe(3);
    expect(sub.got.map((m) => m.topic)).toEqual(Array(3).fill('hbot/predictions/ltc_btc/ML_SIGNALS'));
    const decoded = sub.got.map((m) => hummingbotDecision(m.payload));
    expect(decoded.map((d) => d.decision)).toEqual([1, -1, 0]);
    // target_pct = ATR / entry (makeSignal sets ATR to 0.5% of entry), the controller's volatility factor.
    for (const d of decoded) expect(d.volatilityFactor).toBeCloseTo(0.005, 12);
    expect(decoded[0]!.timestamp).toBe(Date.parse(buy.candle_time) / 1000);
    const payload = JSON.parse(sub.got[0]!.payload.toString()) as Record<string, unknown>;
    expect(Object.keys(payload).sort()).toEqual(['id', 'probabilities', 'target_pct', 'timestamp']);
    expect(payload.id).toBe(buy.id);
    await sub.client.endAsync();
  });

  it('writes the pair lower-case by default (what the controller subscribes to), upper-case when asked', () => {
    expect(hummingbotTopic('hbot/predictions', 'LTC/BTC')).toBe(controllerTopic('LTC-BTC'));
    expect(hummingbotTopic('hbot/predictions/', 'BTC/USDT', 'upper')).toBe('hbot/predictions/BTC_USDT/ML_SIGNALS');
    expect(parseSinks({ sinks: [{ name: 'h', kind: 'mqtt', url: 'mqtt://127.0.0.1', preset: 'hummingbot' }] }).sinks[0]).toMatchObject({ hummingbot_topic_case: 'lower' });
  });

  it('retains the model and health topics for late subscribers', async () => {
    sink.publish([{ type: 'model', id: 'model:v2:activated', data: { event: 'activated', version: 'v2', previous: 'v1' } }]);
    const before = sink.status().delivered;
    await vi.waitFor(() => expect(sink.status().delivered).toBeGreaterThan(before - 1), { timeout: 5_000 });
    await vi.waitFor(() => expect(sink.status().queueDepth).toBe(0), { timeout: 5_000 });
    const late = await subscriber('signalbase/#');
    await vi.waitFor(() => expect(late.got.map((m) => m.topic).sort()).toEqual(['signalbase/health', 'signalbase/model']), { timeout: 5_000 });
    expect(late.got.every((m) => m.retain)).toBe(true);
    expect(JSON.parse(late.got.find((m) => m.topic === 'signalbase/health')!.payload.toString())).toMatchObject({ state: 'online' });
    expect(JSON.parse(late.got.find((m) => m.topic === 'signalbase/model')!.payload.toString())).toMatchObject({ type: 'model', id: 'model:v2:activated', data: { version: 'v2' } });
    await late.client.endAsync();
  });

  it('holds events while the broker is down and delivers them once it is back', async () => {
    // A persistent session: the broker keeps its subscription and queues for it across the restart.
    const sub = await subscriber(controllerTopic('LTC-BTC'), 'hbot-controller');
    await stopBroker();
    const before = sink.status().delivered;
    sink.publish([3, 4, 5].map((i) => signalEvent(makeSignal(i))));
    await vi.waitFor(() => expect(sink.status().lastError).toMatch(/not connected/), { timeout: 10_000 });
    expect(sink.status().queueDepth).toBe(3);
    await startBroker();
    await vi.waitFor(() => expect(sink.status().delivered - before).toBe(3), { timeout: 15_000 });
    expect(sink.status().queueDepth).toBe(0);
    await vi.waitFor(() => expect(sub.got.map((m) => (JSON.parse(m.payload.toString()) as { id: string }).id)).toEqual(['sig-3', 'sig-4', 'sig-5']), { timeout: 5_000 });
    await sub.client.endAsync();
  }, 40_000);
});
