/**
 * The sink kinds of the sinks file, each a Transport behind a QueuedSink (its own journaled queue,
 * retries, rate limit, metrics). The registry maps `kind` to these factories.
 */
import type { Logger } from '../../log.ts';
import { DiscordTransport } from './discord.ts';
import { MqttTransport } from './mqtt.ts';
import { QueuedSink } from './queued-sink.ts';
import type { SignalSink } from './sink.ts';
import { describeSink, redactor, secretsOf, type SinkKind, type SinkSpec } from './sinks-file.ts';
import { SlackTransport } from './slack.ts';
import { TelegramTransport } from './telegram.ts';
import type { Transport } from './transport.ts';
import { WebhookTransport } from './webhook.ts';

export interface SinkContext {
  /** SIGNALBASE_DATA_DIR: queues, dead letters and chat message ids live under <dataDir>/sinks/<name>/. */
  dataDir: string;
  log: Logger;
}

type SpecOf<K extends SinkKind> = Extract<SinkSpec, { kind: K }>;

const transports: { [K in SinkKind]: (spec: SpecOf<K>, ctx: SinkContext) => Transport } = {
  webhook: (spec) => new WebhookTransport(spec),
  telegram: (spec, ctx) => new TelegramTransport(spec, ctx.dataDir, ctx.log),
  discord: (spec) => new DiscordTransport(spec),
  slack: (spec) => new SlackTransport(spec),
  mqtt: (spec, ctx) => new MqttTransport(spec, ctx.log.child({ module: 'sink', sink: spec.name })),
};

function queued<K extends SinkKind>(spec: SpecOf<K>, ctx: SinkContext): SignalSink {
  const transport = (transports[spec.kind] as (s: SpecOf<K>, c: SinkContext) => Transport)(spec, ctx);
  return new QueuedSink({ spec, transport, dataDir: ctx.dataDir, log: ctx.log, redact: redactor(secretsOf(spec)) });
}

/** kind → factory, for the registry (one line per kind). */
export const SINK_FACTORIES: { [K in SinkKind]: (spec: SpecOf<K>, ctx: SinkContext) => SignalSink } = {
  webhook: queued,
  telegram: queued,
  discord: queued,
  slack: queued,
  mqtt: queued,
};

/** Creates the file's sinks (journals opened, not started), logging each without its secrets. */
export function createSinks(specs: readonly SinkSpec[], ctx: SinkContext): SignalSink[] {
  const log = ctx.log.child({ module: 'sinks' });
  return specs.map((spec) => {
    log.info(describeSink(spec), `sink ${spec.name}: ${spec.kind} → ${describeSink(spec).target} (${spec.events.join(', ')})`);
    return (SINK_FACTORIES[spec.kind] as (s: SinkSpec, c: SinkContext) => SignalSink)(spec, ctx);
  });
}
