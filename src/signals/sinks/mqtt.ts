/**
 * The `mqtt` kind (mqtt.js 5): each event published with QoS 1 to its topic; delivered once the
 * broker's PUBACK arrives. Topics are templates ({base}, {quote}, {symbol} = BASE_QUOTE, {timeframe});
 * model, drift and health topics are retained so a subscriber that connects later sees the current
 * state at once. The health topic says {"state":"online"} on connect and, as the broker's last
 * will, {"state":"offline"} when the daemon disappears.
 *
 * Payload: the event JSON {type,id,data}; with `preset: hummingbot`, signals go to Hummingbot's
 * ai_livestream topic and payload instead (hummingbot.ts).
 *
 * While the client is disconnected an attempt fails at once (retried with the queue's backoff)
 * rather than sitting in mqtt.js's own offline queue, so the journal stays the one queue and a
 * reconnect does not send an event twice.
 */
import { connect, type MqttClient } from 'mqtt';
import type { Logger } from '../../log.ts';
import { hummingbotPrediction, hummingbotTopic } from './hummingbot.ts';
import type { SinkEvent, SinkEventType } from './sink.ts';
import type { SinkEntry } from './sinks-file.ts';
import { retry, type DeliveryResult, type Transport } from './transport.ts';
import { webhookBody } from './webhook.ts';

type MqttSpec = Extract<SinkEntry, { kind: 'mqtt' }>;

export const DEFAULT_TOPICS: Record<SinkEventType | 'health', string> = {
  signal: 'signalbase/signals/{symbol}/{timeframe}',
  outcome: 'signalbase/outcomes/{symbol}/{timeframe}',
  model: 'signalbase/model',
  drift: 'signalbase/drift',
  alert: 'signalbase/alerts',
  health: 'signalbase/health',
};
const RETAINED = new Set<string>(['model', 'drift', 'health']);

export function fillTopic(template: string, data: Record<string, unknown>): string {
  const symbol = typeof data.symbol === 'string' ? data.symbol : '';
  const [base = 'all', quote = ''] = symbol ? symbol.split('/') : [];
  const tf = typeof data.timeframe === 'string' ? data.timeframe : 'all';
  return template
    .replace(/\{base\}/g, base)
    .replace(/\{quote\}/g, quote)
    .replace(/\{symbol\}/g, symbol ? `${base}_${quote}` : 'all')
    .replace(/\{timeframe\}/g, tf);
}

/** Topic, payload and retain flag for an event. */
export function mqttMessage(spec: Pick<MqttSpec, 'preset' | 'topics' | 'hummingbot_topic' | 'hummingbot_topic_case'>, event: SinkEvent): { topic: string; payload: string; retain: boolean } {
  if (spec.preset === 'hummingbot' && event.type === 'signal') {
    return { topic: hummingbotTopic(spec.hummingbot_topic, event.data.symbol, spec.hummingbot_topic_case), payload: JSON.stringify(hummingbotPrediction(event.data)), retain: false };
  }
  const template = spec.topics[event.type] ?? DEFAULT_TOPICS[event.type];
  return { topic: fillTopic(template, event.data as unknown as Record<string, unknown>), payload: webhookBody(event), retain: RETAINED.has(event.type) };
}

export class MqttTransport implements Transport {
  private client: MqttClient | null = null;
  private readonly healthTopic: string;

  constructor(
    private readonly spec: Pick<MqttSpec, 'name' | 'url' | 'username' | 'password' | 'client_id' | 'preset' | 'topics' | 'hummingbot_topic' | 'hummingbot_topic_case' | 'timeout_ms'>,
    private readonly log: Logger,
  ) {
    this.healthTopic = spec.topics.health ?? DEFAULT_TOPICS.health;
  }

  /** Connects in the background; waits for the first connection at most a couple of seconds. */
  async start(): Promise<void> {
    if (this.client) return;
    const client = (this.client = connect(this.spec.url, {
      clientId: this.spec.client_id ?? `signalbase-${this.spec.name}-${process.pid}`,
      ...(this.spec.username !== undefined ? { username: this.spec.username } : {}),
      ...(this.spec.password !== undefined ? { password: this.spec.password } : {}),
      reconnectPeriod: 2_000,
      connectTimeout: Math.min(this.spec.timeout_ms, 10_000),
      queueQoSZero: false,
      will: { topic: this.healthTopic, payload: Buffer.from(JSON.stringify({ state: 'offline' })), qos: 1, retain: true },
    }));
    client.on('connect', () => {
      this.log.info(`connected to the MQTT broker`);
      void client.publishAsync(this.healthTopic, JSON.stringify({ state: 'online', at: new Date().toISOString() }), { qos: 1, retain: true }).catch(() => undefined);
    });
    client.on('error', (err) => this.log.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, 'MQTT client error'));
    client.on('offline', () => this.log.warn('MQTT broker unreachable; reconnecting'));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async deliver(event: SinkEvent, signal: AbortSignal): Promise<DeliveryResult> {
    const client = this.client;
    if (!client?.connected) return retry('network', 'not connected to the MQTT broker');
    const m = mqttMessage(this.spec, event);
    const aborted = new Promise<DeliveryResult>((resolve) => {
      if (signal.aborted) resolve(retry('timeout', 'no PUBACK before the timeout'));
      signal.addEventListener('abort', () => resolve(retry('timeout', 'no PUBACK before the timeout')), { once: true });
    });
    const published = client.publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain }).then(
      (): DeliveryResult => ({ ok: true }),
      (err: unknown): DeliveryResult => retry('network', `publish failed: ${(err as Error).message}`),
    );
    return Promise.race([published, aborted]);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (!client) return;
    try {
      if (client.connected) await client.publishAsync(this.healthTopic, JSON.stringify({ state: 'offline', at: new Date().toISOString() }), { qos: 1, retain: true });
    } catch {
      // the will says the same
    }
    await client.endAsync(true);
  }
}
