/**
 * What each sink kind sends for one signal, its outcome and an alert, as the README's "Sinks"
 * section shows it (tests/signals/sinks/readme.test.ts checks the README holds exactly this text):
 * `node --import tsx scripts/sink-examples.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

const SECRET = 'example-secret-123';

/** The examples, one titled block each. */
export function sinkExamples(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-examples-'));
  try {
    const tg = new TelegramTransport({ name: 'tg', bot_token: '1:x', chat_id: -1001234567890, api_base: 'https://api.telegram.org', parse_mode: 'HTML' }, dir, createLogger({ level: 'silent', pretty: false }));
    const mqtt = parseSinks({ sinks: [{ name: 'm', kind: 'mqtt', url: 'mqtt://localhost', preset: 'hummingbot' }] }).sinks[0] as Parameters<typeof mqttMessage>[0];
    const [sig, outcome, alert] = events as [SinkEvent, SinkEvent, SinkEvent];
    const body = webhookBody(sig);
    const hb = mqttMessage(mqtt, sig);
    const mqttAlert = mqttMessage(mqtt, alert);
    return [
      `# webhook: POST with these headers and this body (the signature is the HMAC of these bytes with the secret "${SECRET}")`,
      `X-Signalbase-Event: ${sig.type}`,
      `X-Signalbase-Id: ${sig.id}`,
      `Idempotency-Key: ${sig.id}`,
      `X-Signalbase-Signature: ${signBody(SECRET, body)}`,
      body,
      '',
      '# telegram: sendMessage text (parse_mode HTML) of the signal, its outcome (a reply to it) and an alert',
      ...[sig, outcome, alert].flatMap((e) => [tg.body(e).text as string, '']),
      '# discord: the signal\'s execute-webhook body',
      JSON.stringify(discordBody(sig)),
      '',
      '# slack: the signal\'s incoming-webhook body',
      JSON.stringify(slackBody(sig)),
      '',
      `# mqtt, preset hummingbot: the signal on ${hb.topic} (QoS 1, not retained)`,
      hb.payload,
      '',
      `# mqtt: an alert on ${mqttAlert.topic}`,
      mqttAlert.payload,
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.stdout.write(`${sinkExamples()}\n`);
