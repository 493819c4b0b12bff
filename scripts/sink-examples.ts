/**
 * Prints what each sink kind sends for one signal, its outcome and an alert (the README's
 * "Sinks" examples): `node --import tsx scripts/sink-examples.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INDICATOR_COLUMNS, type IndicatorValues } from '../src/domain/indicators.ts';
import { createLogger } from '../src/log.ts';
import type { Signal } from '../src/domain/signal.ts';
import { discordBody } from '../src/signals/sinks/discord.ts';
import { mqttMessage } from '../src/signals/sinks/mqtt.ts';
import type { SinkEvent } from '../src/signals/sinks/sink.ts';
import { parseSinks } from '../src/signals/sinks/sinks-file.ts';
import { slackBody } from '../src/signals/sinks/slack.ts';
import { TelegramTransport } from '../src/signals/sinks/telegram.ts';
import { signBody, webhookBody } from '../src/signals/sinks/webhook.ts';

const signal: Signal = {
  id: '5f0c2a9e-1b7d-5e0a-9c1f-3d2b7a8e4c10',
  symbol: 'LTC/BTC',
  timeframe: '5m',
  candle_time: '2024-03-01T12:00:00.000Z',
  model_version: 'v20240301-030000',
  predicted_direction: 'BUY',
  confidence_score: 0.712,
  probabilities: { BUY: 0.712, SELL: 0.091, HOLD: 0.197 },
  recommendation: 'BUY',
  signal_weight: 0.82,
  position_multiplier: 1,
  entry_price: 0.0012345,
  stop_loss: 0.0012222,
  take_profit: 0.0012509,
  risk_score: 0.31,
  technical_indicators: { ...(Object.fromEntries(INDICATOR_COLUMNS.map((c) => [c, null])) as IndicatorValues), atr_value: 0.0000082 },
  created_at: '2024-03-01T12:05:00.412Z',
};
const events: SinkEvent[] = [
  { type: 'signal', id: signal.id, data: signal },
  {
    type: 'outcome',
    id: `outcome:${signal.id}`,
    data: { prediction_id: signal.id, symbol: 'LTC/BTC', timeframe: '5m', predicted_direction: 'BUY', outcome: 'TP_HIT', entry_price: 0.0012345, exit_price: 0.0012509, profit_loss_pct: 1.13, bars_held: 7, model_version: 'v20240301-030000' },
  },
  { type: 'alert', id: 'alert:feed_down:binance:1709294700000', data: { condition: 'feed_down', subject: 'binance', severity: 'critical', state: 'firing', message: 'the binance feed has delivered no candles for 5 min (status reconnecting)', at: 1709294700000 } },
];

const dir = mkdtempSync(join(tmpdir(), 'sb-examples-'));
const tg = new TelegramTransport({ name: 'tg', bot_token: '1:x', chat_id: -1001234567890, api_base: 'https://api.telegram.org', parse_mode: 'HTML' }, dir, createLogger({ level: 'silent', pretty: false }));
const mqtt = parseSinks({ sinks: [{ name: 'm', kind: 'mqtt', url: 'mqtt://localhost', preset: 'hummingbot' }] }).sinks[0] as Parameters<typeof mqttMessage>[0];
const [sig] = events;
const body = webhookBody(sig!);
console.log('webhook body:', body);
console.log('X-Signalbase-Signature (secret "example-secret-123"):', signBody('example-secret-123', body));
for (const e of events) console.log(`\ntelegram ${e.type} text:\n${tg.body(e).text as string}`);
console.log('\ndiscord signal:', JSON.stringify(discordBody(sig!)));
console.log('\nslack signal:', JSON.stringify(slackBody(sig!)));
console.log('\nmqtt (hummingbot) signal:', JSON.stringify(mqttMessage(mqtt, sig!)));
console.log('mqtt alert:', JSON.stringify(mqttMessage(mqtt, events[2]!)));
rmSync(dir, { recursive: true, force: true });
